//! The token side: load the module, find the token, log in, make, find and use keys.

use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

use super::uri::Pkcs11Uri;
use crate::keystore::passphrase::PassphraseSource;
use crate::{Error, Result};
use trust_tuf::crypto::signer::{ExternalSigner, PrivateKey};
use trust_tuf::wire::{KeyType as WireKeyType, PublicKey};

/// DER of the P-256 curve OID (`CKA_EC_PARAMS`).
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// SubjectPublicKeyInfo prefix for a P-256 key: the 65-byte uncompressed point follows.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The PKCS#11 name of the codes a user can act on, and the token's first sentence.
fn token_message(e: &CkError) -> String {
    match e {
        CkError::Pkcs11(rv, function) => {
            let name = match rv {
                RvError::PinIncorrect => "CKR_PIN_INCORRECT".to_owned(),
                RvError::PinLocked => "CKR_PIN_LOCKED".to_owned(),
                RvError::PinExpired => "CKR_PIN_EXPIRED".to_owned(),
                RvError::PinLenRange => "CKR_PIN_LEN_RANGE".to_owned(),
                RvError::TokenNotPresent => "CKR_TOKEN_NOT_PRESENT".to_owned(),
                RvError::UserPinNotInitialized => "CKR_USER_PIN_NOT_INITIALIZED".to_owned(),
                other => format!("{other:?}"),
            };
            let text = rv.to_string();
            let first = text.split(". ").next().unwrap_or(&text).trim_end_matches('.');
            format!("{function}: {name} ({first})")
        }
        other => other.to_string(),
    }
}

fn failed(uri: &Pkcs11Uri, what: &str, e: CkError) -> Error {
    Error::Key(format!("{what} on {uri}: {}", token_message(&e)))
}

/// One session on the token the URI names, logged in as the user.
struct Opened {
    session: Session,
}

fn open_session(uri: &Pkcs11Uri, pins: &dyn PassphraseSource) -> Result<Opened> {
    if !uri.module_path.is_file() {
        return Err(Error::Key(format!(
            "the PKCS#11 module {} does not exist: install the token's module or fix module-path in {uri}",
            uri.module_path.display()
        )));
    }
    let module = Pkcs11::new(&uri.module_path)
        .map_err(|e| Error::Key(format!("cannot load the PKCS#11 module {}: {e}", uri.module_path.display())))?;
    module
        .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .map_err(|e| failed(uri, "cannot initialise the PKCS#11 module", e))?;
    let slots = module.get_slots_with_token().map_err(|e| failed(uri, "cannot list the token slots", e))?;
    let mut found = None;
    let mut labels = Vec::new();
    for slot in slots {
        let info = module.get_token_info(slot).map_err(|e| failed(uri, "cannot read the token information", e))?;
        let label = info.label().trim_end().to_owned();
        if uri.token.as_deref().is_none_or(|t| t == label) {
            found = Some((slot, label));
            break;
        }
        labels.push(label);
    }
    let (slot, label) = found.ok_or_else(|| {
        Error::Key(format!(
            "no token {:?} behind {} (tokens there: {})",
            uri.token.as_deref().unwrap_or_default(),
            uri.module_path.display(),
            if labels.is_empty() { "none".to_owned() } else { labels.join(", ") }
        ))
    })?;
    let session = module.open_rw_session(slot).map_err(|e| failed(uri, "cannot open a session", e))?;
    let pin = match &uri.pin_source {
        Some(path) => {
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?);
            Zeroizing::new(text.trim_end_matches(['\r', '\n']).to_owned())
        }
        None => pins.pkcs11_pin(&label)?,
    };
    session
        .login(UserType::User, Some(&AuthPin::from(pin.as_str())))
        .map_err(|e| failed(uri, &format!("the token {label:?} refused the PIN"), e))?;
    pins.remember_pkcs11_pin(&label, &pin);
    log::debug!("logged in to the PKCS#11 token {label:?}");
    Ok(Opened { session })
}

/// The objects of `class` the URI names.
fn find(opened: &Opened, uri: &Pkcs11Uri, class: ObjectClass) -> Result<Vec<ObjectHandle>> {
    let mut template = vec![Attribute::Class(class), Attribute::KeyType(KeyType::EC)];
    if let Some(object) = &uri.object {
        template.push(Attribute::Label(object.as_bytes().to_vec()));
    }
    if let Some(id) = &uri.id {
        template.push(Attribute::Id(id.clone()));
    }
    opened.session.find_objects(&template).map_err(|e| failed(uri, "cannot search the token", e))
}

/// The public key of a public-key object, in notary's form.
fn public_of(opened: &Opened, uri: &Pkcs11Uri, object: ObjectHandle) -> Result<PublicKey> {
    let attrs = opened
        .session
        .get_attributes(object, &[AttributeType::EcParams, AttributeType::EcPoint])
        .map_err(|e| failed(uri, "cannot read the public key", e))?;
    let (mut params, mut point) = (None, None);
    for attr in attrs {
        match attr {
            Attribute::EcParams(p) => params = Some(p),
            Attribute::EcPoint(p) => point = Some(p),
            _ => {}
        }
    }
    if params.as_deref() != Some(&P256_PARAMS[..]) {
        return Err(Error::Key(format!("the key at {uri} is not an ECDSA P-256 key (the only kind trust signs with)")));
    }
    let point = point.unwrap_or_default();
    // CKA_EC_POINT is the DER OCTET STRING of the point; some modules give it bare.
    let raw = match point.as_slice() {
        [0x04, 0x41, rest @ ..] if rest.len() == 65 => rest,
        raw if raw.len() == 65 && raw[0] == 0x04 => raw,
        _ => return Err(Error::Key(format!("the public key at {uri} is not an uncompressed P-256 point"))),
    };
    let mut spki = P256_SPKI_PREFIX.to_vec();
    spki.extend_from_slice(raw);
    Ok(PublicKey::new(WireKeyType::Ecdsa, spki))
}

/// A key on a token: signs with `CKM_ECDSA` in one logged-in session.
pub struct TokenKey {
    uri: Pkcs11Uri,
    public: PublicKey,
    private: ObjectHandle,
    session: Mutex<Session>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey").field("uri", &self.uri.to_string()).finish_non_exhaustive()
    }
}

impl ExternalSigner for TokenKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign_sha256_digest(&self, digest: &[u8; 32]) -> trust_tuf::Result<Vec<u8>> {
        let session = self.session.lock().map_err(|_| trust_tuf::Error::Key("the token session is poisoned".into()))?;
        session.sign(&Mechanism::Ecdsa, self.private, digest).map_err(|e| {
            trust_tuf::Error::Key(format!("the token at {} did not sign: {}", self.uri, token_message(&e)))
        })
    }

    fn location(&self) -> String {
        self.uri.to_string()
    }
}

fn key(uri: &Pkcs11Uri, opened: Opened, private: ObjectHandle, public: PublicKey) -> Result<PrivateKey> {
    let signer = TokenKey { uri: uri.clone(), public, private, session: Mutex::new(opened.session) };
    Ok(PrivateKey::external(Box::new(signer))?)
}

/// The key the URI names, which must exist on the token (a private key object with
/// the object's label and/or ID, and its public key object).
pub fn open(uri: &Pkcs11Uri, pins: &dyn PassphraseSource) -> Result<PrivateKey> {
    let opened = open_session(uri, pins)?;
    let private = find(&opened, uri, ObjectClass::PRIVATE_KEY)?;
    let private = match private.as_slice() {
        [one] => *one,
        [] => return Err(Error::Key(format!("no EC private key {uri} on the token"))),
        many => {
            return Err(Error::Key(format!(
                "{} EC private keys match {uri}: add id= to the URI to name one",
                many.len()
            )));
        }
    };
    // The public key object with the private key's ID (its label when it has none).
    let id = opened
        .session
        .get_attributes(private, &[AttributeType::Id])
        .map_err(|e| failed(uri, "cannot read the key's ID", e))?
        .into_iter()
        .find_map(|a| if let Attribute::Id(id) = a { Some(id) } else { None })
        .filter(|id| !id.is_empty());
    let mut by_id = uri.clone();
    if id.is_some() {
        by_id.id = id;
        by_id.object = None;
    }
    let public = match find(&opened, &by_id, ObjectClass::PUBLIC_KEY)?.first() {
        Some(object) => public_of(&opened, uri, *object)?,
        None => return Err(Error::Key(format!("the token has the private key {uri} but no public key object for it"))),
    };
    key(uri, opened, private, public)
}

/// A new ECDSA P-256 key pair made on the token: the private key sensitive, not
/// extractable, kept on the token, labelled with the URI's `object` (and `id`).
/// Refused when the URI already names a key there.
pub fn generate(uri: &Pkcs11Uri, pins: &dyn PassphraseSource) -> Result<PrivateKey> {
    let opened = open_session(uri, pins)?;
    if !find(&opened, uri, ObjectClass::PRIVATE_KEY)?.is_empty() {
        return Err(Error::Key(format!(
            "the token already holds a key {uri}: register it with `trust key load --pkcs11` or choose another object"
        )));
    }
    let mut common = Vec::new();
    if let Some(object) = &uri.object {
        common.push(Attribute::Label(object.as_bytes().to_vec()));
    }
    if let Some(id) = &uri.id {
        common.push(Attribute::Id(id.clone()));
    }
    let mut public_template =
        vec![Attribute::Token(true), Attribute::Verify(true), Attribute::EcParams(P256_PARAMS.to_vec())];
    public_template.extend(common.iter().cloned());
    let mut private_template = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
    ];
    private_template.extend(common);
    let (public, private) = opened
        .session
        .generate_key_pair(&Mechanism::EccKeyPairGen, &public_template, &private_template)
        .map_err(|e| failed(uri, "cannot generate a key pair", e))?;
    let public = public_of(&opened, uri, public)?;
    log::debug!("new ECDSA P-256 key pair made on the token at {uri}");
    key(uri, opened, private, public)
}

#[cfg(test)]
mod tests {
    use cryptoki::context::Function;

    use super::*;

    #[test]
    fn token_errors_name_the_pkcs11_code_and_the_first_sentence() {
        let e = CkError::Pkcs11(RvError::PinIncorrect, Function::Login);
        let text = token_message(&e);
        assert!(text.contains("CKR_PIN_INCORRECT (The specified PIN is incorrect"), "{text}");
        assert!(!text.contains("More generally"), "{text}");
    }

    #[test]
    fn a_missing_module_is_named_before_anything_is_loaded() {
        let uri = Pkcs11Uri::parse("pkcs11:token=t;object=k?module-path=/nonexistent/module.so").unwrap();
        let pins = crate::keystore::ConstantPassphrase::new("unused");
        let err = open(&uri, &pins).unwrap_err();
        assert!(matches!(err, Error::Key(_)), "{err:?}");
        assert!(err.to_string().starts_with("the PKCS#11 module /nonexistent/module.so does not exist"), "{err}");
    }
}
