/*
 * trust_test.c: libtrust against the real notary-server and the registry store in
 * the real registry (tests/peers), through trust.h as any C program uses it. Run by
 * bindings/c/ci.sh, also under valgrind.
 *
 * Environment (tests/peers/start.sh's STATE/env, plus two files from ci.sh):
 *   TRUST_TEST_SERVER, TRUST_TEST_CA, TRUST_TEST_REGISTRY, TRUST_TEST_PASSPHRASE
 *   TRUST_C_EXPECTED  lines "IMAGE sha256:<hex>" or "IMAGE NOT_SIGNED", taken
 *                     from repos.json (what the real docker and notary CLIs made)
 *   TRUST_C_OCI_EXPECTED  lines "SERVER IMAGE sha256:<hex>" or "SERVER IMAGE
 *                     NOT_SIGNED" with an oci:// SERVER (the registry store):
 *                     what `trust verify --server SERVER IMAGE` printed (exit 1:
 *                     NOT_SIGNED) for repositories ci.sh signed with the trust CLI
 *   TRUST_C_TUF_URL   http://127.0.0.1:PORT, an HTTP server (python3's http.server,
 *                     started by ci.sh) of TRUST_C_TUF_REPO
 *   TRUST_C_TUF_REPO  a copy of fixtures/tuf1/basic (metadata/ and targets/) that
 *                     the TUF section reads, and changes and restores while it runs
 *
 * `trust_test tuf` runs the TUF 1.0 section alone (it needs only the last two).
 * Prints one line per check ("ok - ..." or "not ok - ..."), exits 1 if any failed.
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trust.h"

#define THREADS 4
#define MAX_EXPECTED 32
#define MAX_OCI 16

static int failures, checks;

static void check(int ok, const char *fmt, ...) {
    va_list ap;
    checks++;
    if (!ok)
        failures++;
    printf("%s - ", ok ? "ok" : "not ok");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static const char *need_env(const char *name) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr, "trust_test: %s is not set (source the peers' STATE/env; run bindings/c/ci.sh)\n", name);
        exit(2);
    }
    return v;
}

/* True if the last error is non-empty and contains `needle`. */
static int last_error_has(const char *needle) {
    const char *e = trust_last_error();
    return e != NULL && *e != '\0' && strstr(e, needle) != NULL;
}

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb, (void)type, (void)ftw;
    return remove(path);
}

/* A dangling value, to see out-parameters reset to NULL on failure. */
static char sentinel_byte;
#define SENTINEL ((void *)&sentinel_byte)

struct expected {
    char image[512];
    char digest[80]; /* "sha256:<hex>" or "NOT_SIGNED" */
};

static int read_expected(const char *path, struct expected *out, int max) {
    FILE *f = fopen(path, "r");
    int n = 0;
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    while (n < max && fscanf(f, "%511s %79s", out[n].image, out[n].digest) == 2)
        n++;
    fclose(f);
    return n;
}

struct oci_case {
    char server[256];
    char image[512];
    char digest[80]; /* "sha256:<hex>" or "NOT_SIGNED" */
};

static int read_oci_cases(const char *path, struct oci_case *out, int max) {
    FILE *f = fopen(path, "r");
    int n = 0;
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    while (n < max && fscanf(f, "%255s %511s %79s", out[n].server, out[n].image, out[n].digest) == 3)
        n++;
    fclose(f);
    return n;
}

/* --- checks ---------------------------------------------------------------- */

static void null_and_utf8_arguments(trust_client *c) {
    const char *img = "localhost:5000/ctest/x:v1";
    const char *bad = "localhost:5000/ctest/\xff\xfe:v1";
    const char *digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    char *out = SENTINEL;
    trust_client *nc = SENTINEL;
    int rc;

    rc = trust_client_new(NULL, NULL, NULL, NULL);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("out"), "trust_client_new(out=NULL) -> %d: %s", rc,
          trust_last_error());
    rc = trust_client_new(NULL, "/tmp/\xff", NULL, &nc);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && nc == NULL && last_error_has("trust_dir"),
          "trust_client_new(trust_dir not UTF-8) -> %d, out NULL: %s", rc, trust_last_error());
    nc = SENTINEL;
    rc = trust_client_new("", NULL, NULL, &nc);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && nc == NULL && last_error_has("server_url"),
          "trust_client_new(server_url \"\") -> %d: %s", rc, trust_last_error());

    rc = trust_verify(NULL, img, &out);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && out == NULL && last_error_has("client"),
          "trust_verify(client=NULL) -> %d, out NULL: %s", rc, trust_last_error());
    out = SENTINEL;
    rc = trust_verify(c, NULL, &out);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && out == NULL && last_error_has("image_ref"),
          "trust_verify(image_ref=NULL) -> %d, out NULL: %s", rc, trust_last_error());
    rc = trust_verify(c, img, NULL);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("out_digest"), "trust_verify(out_digest=NULL) -> %d: %s",
          rc, trust_last_error());
    out = SENTINEL;
    rc = trust_verify(c, bad, &out);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && out == NULL && last_error_has("image_ref is not valid UTF-8"),
          "trust_verify(image_ref not UTF-8) -> %d, out NULL: %s", rc, trust_last_error());

    out = SENTINEL;
    rc = trust_inspect_json(c, NULL, &out);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && out == NULL && last_error_has("image_ref"),
          "trust_inspect_json(image_ref=NULL) -> %d, out NULL: %s", rc, trust_last_error());
    rc = trust_inspect_json(c, img, NULL);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("out_json"), "trust_inspect_json(out_json=NULL) -> %d: %s",
          rc, trust_last_error());
    out = SENTINEL;
    rc = trust_inspect_json(c, bad, &out);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && out == NULL && last_error_has("image_ref"),
          "trust_inspect_json(image_ref not UTF-8) -> %d: %s", rc, trust_last_error());

    rc = trust_sign_digest(c, img, NULL, 1);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("digest"), "trust_sign_digest(digest=NULL) -> %d: %s", rc,
          trust_last_error());
    rc = trust_sign_digest(NULL, img, digest, 1);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("client"), "trust_sign_digest(client=NULL) -> %d: %s", rc,
          trust_last_error());
    rc = trust_sign_digest(c, bad, digest, 1);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("image_ref"),
          "trust_sign_digest(image_ref not UTF-8) -> %d: %s", rc, trust_last_error());
    rc = trust_sign_digest(c, img, "sha256:\xff", 1);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("digest is not valid UTF-8"),
          "trust_sign_digest(digest not UTF-8) -> %d: %s", rc, trust_last_error());
    rc = trust_sign_digest(c, img, "sha256:NOT-A-DIGEST", 1);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("sha256:NOT-A-DIGEST"),
          "trust_sign_digest(bad digest string) -> %d: %s", rc, trust_last_error());
    rc = trust_sign_digest(c, "localhost:5000/ctest/x", digest, 1);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("tag"), "trust_sign_digest(no tag) -> %d: %s", rc,
          trust_last_error());

    rc = trust_revoke(c, NULL);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("image_ref"), "trust_revoke(image_ref=NULL) -> %d: %s", rc,
          trust_last_error());
    rc = trust_revoke(NULL, img);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("client"), "trust_revoke(client=NULL) -> %d: %s", rc,
          trust_last_error());

    trust_string_free(NULL);
    trust_client_free(NULL);
    check(1, "trust_string_free(NULL), trust_client_free(NULL) are no-ops");
}

/* Each expected line: verify gives that digest, or TRUST_ERR_NOT_SIGNED. */
static void repositories_of_the_real_clis(trust_client *c, const struct expected *exp, int n) {
    for (int i = 0; i < n; i++) {
        char *digest = SENTINEL;
        int rc = trust_verify(c, exp[i].image, &digest);
        if (strcmp(exp[i].digest, "NOT_SIGNED") == 0) {
            check(rc == TRUST_ERR_NOT_SIGNED && digest == NULL && last_error_has("localhost"),
                  "trust_verify(%s) -> TRUST_ERR_NOT_SIGNED (%d): %s", exp[i].image, rc, trust_last_error());
        } else {
            check(rc == TRUST_OK && digest != NULL && strcmp(digest, exp[i].digest) == 0,
                  "trust_verify(%s) -> %s (repos.json: %s)%s%s", exp[i].image, rc == TRUST_OK ? digest : "error",
                  exp[i].digest, rc == TRUST_OK ? "" : ": ", rc == TRUST_OK ? "" : trust_last_error());
        }
        if (rc == TRUST_OK)
            trust_string_free(digest);
    }
}

/* The registry store: one client per server (`oci://`, `oci://HOST/PATH`), each
 * with a fresh trust dir, verifies every case of that server as `trust verify`
 * did, twice (the second time from the cache), and inspects the signed ones. */
static void registry_store(const char *tmp, const struct oci_case *cases, int n) {
    trust_client *c = NULL;
    const char *server = NULL;
    int signed_cases = 0, not_signed_cases = 0;

    for (int i = 0; i < n; i++) {
        const struct oci_case *k = &cases[i];
        if (server == NULL || strcmp(server, k->server) != 0) {
            char dir[600];
            trust_client_free(c);
            c = NULL;
            snprintf(dir, sizeof dir, "%s/oci-trust-%d", tmp, i);
            int rc = trust_client_new(k->server, dir, NULL, &c);
            check(rc == TRUST_OK && c != NULL, "trust_client_new(%s, <fresh trust dir>, NULL)%s%s", k->server,
                  rc ? ": " : "", rc ? trust_last_error() : "");
            if (rc != TRUST_OK)
                return;
            server = k->server;
        }
        for (int round = 0; round < 2; round++) {
            char *digest = SENTINEL;
            int rc = trust_verify(c, k->image, &digest);
            if (strcmp(k->digest, "NOT_SIGNED") == 0) {
                check(rc == TRUST_ERR_NOT_SIGNED && digest == NULL && last_error_has("localhost"),
                      "%s: trust_verify(%s) -> TRUST_ERR_NOT_SIGNED (%d), as trust verify: %s", k->server, k->image, rc,
                      trust_last_error());
            } else {
                check(rc == TRUST_OK && digest != NULL && strcmp(digest, k->digest) == 0,
                      "%s: trust_verify(%s) -> %s (trust verify: %s)%s%s", k->server, k->image,
                      rc == TRUST_OK ? digest : "error", k->digest, rc == TRUST_OK ? "" : ": ",
                      rc == TRUST_OK ? "" : trust_last_error());
            }
            if (rc == TRUST_OK)
                trust_string_free(digest);
        }
        if (strcmp(k->digest, "NOT_SIGNED") == 0) {
            not_signed_cases++;
            continue;
        }
        signed_cases++;
        char *json = SENTINEL;
        int rc = trust_inspect_json(c, k->image, &json);
        check(rc == TRUST_OK && json != NULL && json[0] == '[' && strstr(json, "\"SignedTags\"") &&
                  strstr(json, k->digest + strlen("sha256:")),
              "%s: trust_inspect_json(%s) has SignedTags with %s%s%s", k->server, k->image, k->digest, rc ? ": " : "",
              rc ? trust_last_error() : "");
        if (rc == TRUST_OK)
            trust_string_free(json);
    }
    trust_client_free(c);
    check(signed_cases > 0 && not_signed_cases > 0, "registry store: %d signed and %d unsigned cases checked",
          signed_cases, not_signed_cases);
}

static void inspect_of_a_docker_repository(trust_client *c, const struct expected *e) {
    char *json = SENTINEL;
    int rc = trust_inspect_json(c, e->image, &json);
    check(rc == TRUST_OK && json != NULL && json[0] == '[' && strstr(json, "\"SignedTags\"") &&
              strstr(json, e->digest + strlen("sha256:")) && strstr(json, "\"AdministrativeKeys\""),
          "trust_inspect_json(%s) has SignedTags with %s%s%s", e->image, e->digest, rc ? ": " : "",
          rc ? trust_last_error() : "");
    if (rc == TRUST_OK)
        trust_string_free(json);
}

static void random_hex(char *out, size_t n) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        out[i] = hex[rand() % 16];
    out[n] = '\0';
}

/* Sign a new repository, verify and inspect it, revoke a tag, verify again. */
static void sign_verify_inspect_revoke(trust_client *c, const char *registry) {
    char gun[256], v1[300], v2[300], hex1[65], hex2[65], d1[80], d2[80];
    char *out = SENTINEL;
    int rc;

    snprintf(gun, sizeof gun, "%s/ctest/c%ld-%d", registry, (long)time(NULL), (int)getpid());
    snprintf(v1, sizeof v1, "%s:v1", gun);
    snprintf(v2, sizeof v2, "%s:v2", gun);
    random_hex(hex1, 64);
    random_hex(hex2, 64);
    snprintf(d1, sizeof d1, "sha256:%s", hex1);
    snprintf(d2, sizeof d2, "sha256:%s", hex2);

    rc = trust_verify(c, v1, &out);
    check(rc == TRUST_ERR_NOT_SIGNED && out == NULL, "trust_verify(%s) before signing -> TRUST_ERR_NOT_SIGNED (%d)", v1,
          rc);

    rc = trust_sign_digest(c, v1, d1, 1234);
    check(rc == TRUST_OK, "trust_sign_digest(%s, %s, 1234) initialises the repository%s%s", v1, d1, rc ? ": " : "",
          rc ? trust_last_error() : "");
    rc = trust_sign_digest(c, v2, d2, 527);
    check(rc == TRUST_OK, "trust_sign_digest(%s, %s, 527)%s%s", v2, d2, rc ? ": " : "", rc ? trust_last_error() : "");

    out = NULL;
    rc = trust_verify(c, v1, &out);
    check(rc == TRUST_OK && out && strcmp(out, d1) == 0, "trust_verify(%s) -> %s (signed %s)%s", v1,
          rc == TRUST_OK ? out : trust_last_error(), d1, "");
    if (rc == TRUST_OK)
        trust_string_free(out);

    char with_digest[400];
    snprintf(with_digest, sizeof with_digest, "%s@%s", v2, d2);
    out = NULL;
    rc = trust_verify(c, with_digest, &out);
    check(rc == TRUST_OK && out && strcmp(out, d2) == 0, "trust_verify(%s) -> the same digest", with_digest);
    if (rc == TRUST_OK)
        trust_string_free(out);
    snprintf(with_digest, sizeof with_digest, "%s@%s", v2, d1);
    out = SENTINEL;
    rc = trust_verify(c, with_digest, &out);
    check(rc == TRUST_ERR_VERIFICATION && out == NULL && last_error_has(hex2),
          "trust_verify(v2@<v1's digest>) -> TRUST_ERR_VERIFICATION (%d): %s", rc, trust_last_error());

    out = NULL;
    rc = trust_inspect_json(c, gun, &out);
    int has = rc == TRUST_OK && out && strstr(out, "\"SignedTag\": \"v1\"") && strstr(out, hex1) &&
              strstr(out, "\"SignedTag\": \"v2\"") && strstr(out, hex2) && strstr(out, gun);
    check(has, "trust_inspect_json(%s) lists v1 -> %.19s..., v2 -> %.19s...%s%s", gun, d1, d2, rc ? ": " : "",
          rc ? trust_last_error() : "");
    if (!has && rc == TRUST_OK)
        fprintf(stderr, "%s\n", out);
    if (rc == TRUST_OK)
        trust_string_free(out);

    rc = trust_revoke(c, v1);
    check(rc == TRUST_OK, "trust_revoke(%s)%s%s", v1, rc ? ": " : "", rc ? trust_last_error() : "");
    out = SENTINEL;
    rc = trust_verify(c, v1, &out);
    check(rc == TRUST_ERR_NOT_SIGNED && out == NULL && last_error_has("v1"),
          "trust_verify(%s) after revoke -> TRUST_ERR_NOT_SIGNED (%d): %s", v1, rc, trust_last_error());
    out = NULL;
    rc = trust_verify(c, v2, &out);
    check(rc == TRUST_OK && out && strcmp(out, d2) == 0, "trust_verify(%s) after revoking v1 -> still %s", v2, d2);
    if (rc == TRUST_OK)
        trust_string_free(out);
    rc = trust_revoke(c, v1);
    check(rc == TRUST_ERR_NOT_SIGNED, "trust_revoke(%s) again -> TRUST_ERR_NOT_SIGNED (%d): %s", v1, rc,
          trust_last_error());
}

/* A signer's public key (ECDSA P-256, made for this test with openssl). */
static const char ALICE_PEM[] = "-----BEGIN PUBLIC KEY-----\n"
                                "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEutxtCKYFOjypE1TcZHjLxc+CfPHg\n"
                                "HSZ+PgXxEcDo9i8CDwCj57TVTy/6DSYzNkFJfSN91WHR9wxb6n3U2ZfpMA==\n"
                                "-----END PUBLIC KEY-----\n";

/* True if `image`'s inspect JSON lists a signer named `name`. */
static int inspect_lists_signer(trust_client *c, const char *image, const char *name) {
    char needle[100];
    char *out = NULL;
    snprintf(needle, sizeof needle, "\"Name\": \"%s\"", name);
    if (trust_inspect_json(c, image, &out) != TRUST_OK)
        return -1;
    int found = strstr(out, needle) != NULL;
    trust_string_free(out);
    return found;
}

/* Add a signer to a new repository, see it in inspect, remove it again. */
static void signer_add_remove(trust_client *c, const char *registry) {
    char gun[256];
    int rc;

    snprintf(gun, sizeof gun, "%s/ctest/s%ld-%d", registry, (long)time(NULL), (int)getpid());
    rc = trust_signer_add(c, gun, "Alice", ALICE_PEM);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("Alice"), "trust_signer_add(name=Alice) -> %d: %s", rc,
          trust_last_error());
    rc = trust_signer_add(c, gun, "alice", "not a key");
    check(rc == TRUST_ERR_KEY, "trust_signer_add(public_key_pem not PEM) -> TRUST_ERR_KEY (%d): %s", rc,
          trust_last_error());
    rc = trust_signer_add(c, gun, NULL, ALICE_PEM);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("name"), "trust_signer_add(name=NULL) -> %d: %s", rc,
          trust_last_error());
    rc = trust_signer_remove(c, gun, NULL, 0);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("name"), "trust_signer_remove(name=NULL) -> %d: %s", rc,
          trust_last_error());

    rc = trust_signer_add(c, gun, "alice", ALICE_PEM);
    check(rc == TRUST_OK, "trust_signer_add(%s, alice) initialises the repository%s%s", gun, rc ? ": " : "",
          rc ? trust_last_error() : "");
    check(inspect_lists_signer(c, gun, "alice") == 1, "trust_inspect_json(%s) lists the signer alice", gun);
    rc = trust_signer_remove(c, gun, "bob", 0);
    check(rc == TRUST_ERR_NOT_SIGNED && last_error_has("bob"), "trust_signer_remove(bob) -> TRUST_ERR_NOT_SIGNED (%d): %s",
          rc, trust_last_error());
    rc = trust_signer_remove(c, gun, "alice", 0);
    check(rc == TRUST_OK, "trust_signer_remove(%s, alice)%s%s", gun, rc ? ": " : "", rc ? trust_last_error() : "");
    check(inspect_lists_signer(c, gun, "alice") == 0, "trust_inspect_json(%s) no longer lists alice", gun);
}

/* A CA that did not sign the server's certificate. */
static const char WRONG_CA[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBzTCCAXOgAwIBAgIUVJIHF/OQ6444RIvHSr9wCGGK2vkwCgYIKoZIzj0EAwIw\n"
                               "MzExMC8GA1UEAwwodHJ1c3QtYyB3cm9uZyBDQSAobm90IHRoZSB0ZXN0IHNlcnZl\n"
                               "cidzKTAgFw0yNjExMjMwMzIzNTJaGA8yMTI2MTAzMDAzMjM1MlowMzExMC8GA1UE\n"
                               "AwwodHJ1c3QtYyB3cm9uZyBDQSAobm90IHRoZSB0ZXN0IHNlcnZlcidzKTBZMBMG\n"
                               "ByqGSM49AgEGCCqGSM49AwEHA0IABGTq8J+LKwFm2VTSeH8omhE71YyV+qq1Bn5s\n"
                               "vKPKoIHiEr4O0loE28oq6r7hjlXtJ8P8aQ6Czbv8QKmUB3imD7CjYzBhMB0GA1Ud\n"
                               "DgQWBBQtRqln7GOvm7tnNh9UJZ/n4aWIszAfBgNVHSMEGDAWgBQtRqln7GOvm7tn\n"
                               "Nh9UJZ/n4aWIszAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAKBggq\n"
                               "hkjOPQQDAgNIADBFAiEAybIB+dCQTON1XWovI3QeHdsGCaQpft5ott/0f/oiCsMC\n"
                               "IENcxvGpZdzAJkzFBLEJE4v4OJJ6h5C4AtZ66EBEqcWX\n"
                               "-----END CERTIFICATE-----\n";

static void wrong_ca(const char *server, const char *tmp, const struct expected *e) {
    char ca[600], dir[600];
    trust_client *c = NULL;
    char *out = SENTINEL;
    FILE *f;

    snprintf(ca, sizeof ca, "%s/wrong-ca.crt", tmp);
    snprintf(dir, sizeof dir, "%s/wrong-ca-trust", tmp);
    f = fopen(ca, "w");
    if (f == NULL || fputs(WRONG_CA, f) == EOF || fclose(f) != 0) {
        perror(ca);
        exit(2);
    }
    int rc = trust_client_new(server, dir, ca, &c);
    check(rc == TRUST_OK, "trust_client_new(ca_path = a CA that did not sign the server)");
    rc = trust_verify(c, e->image, &out);
    check((rc == TRUST_ERR_NETWORK || rc == TRUST_ERR_VERIFICATION) && out == NULL && *trust_last_error() != '\0',
          "trust_verify with the wrong CA -> %d (network 4 or verification 3): %s", rc, trust_last_error());
    trust_client_free(c);
}

struct worker {
    trust_client *client;
    const char *image;
    char digest[80];
    int rc;
    int error_was_private;
};

static void *verify_in_thread(void *arg) {
    struct worker *w = arg;
    char *out = NULL;
    for (int round = 0; round < 2; round++) {
        w->rc = trust_verify(w->client, w->image, &out);
        if (w->rc != TRUST_OK)
            return NULL;
        snprintf(w->digest, sizeof w->digest, "%s", out);
        trust_string_free(out);
    }
    /* A success here clears this thread's last error only. */
    w->error_was_private = *trust_last_error() == '\0';
    return NULL;
}

static void one_client_four_threads(trust_client *c, const struct expected *e) {
    pthread_t t[THREADS];
    struct worker w[THREADS];
    char *out = NULL;
    int started = 0, same = 1;

    /* Leave an error on this thread: the workers' successes must not clear it. */
    trust_verify(c, NULL, &out);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.client = c, .image = e->image};
        if (pthread_create(&t[i], NULL, verify_in_thread, &w[i]) == 0)
            started++;
        else
            break;
    }
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    check(started == THREADS, "%d threads started", started);
    for (int i = 0; i < started; i++) {
        int ok = w[i].rc == TRUST_OK && strcmp(w[i].digest, e->digest) == 0 && w[i].error_was_private;
        same = same && ok;
        check(ok, "thread %d: trust_verify(%s) twice on the shared client -> %s", i, e->image,
              w[i].rc == TRUST_OK ? w[i].digest : "error");
    }
    check(same && last_error_has("image_ref is NULL"),
          "all threads got %s; this thread's last error is still its own (%s)", e->digest, trust_last_error());
}


/* The whole of file `path` in `*out` (malloc'd, the caller frees it); its length, or -1. */
static long read_file(const char *path, unsigned char **out) {
    FILE *f = fopen(path, "rb");
    long n = -1;
    *out = NULL;
    if (f == NULL)
        return -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        *out = malloc(n > 0 ? (size_t)n : 1);
        if (*out == NULL || fread(*out, 1, (size_t)n, f) != (size_t)n) {
            free(*out);
            *out = NULL;
            n = -1;
        }
    }
    fclose(f);
    return n;
}

static int write_file(const char *path, const unsigned char *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t w = fwrite(bytes, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* True if file `path` holds exactly the `n` bytes at `want`. */
static int file_is(const char *path, const unsigned char *want, long n) {
    unsigned char *got = NULL;
    long len = read_file(path, &got);
    int same = len == n && (n == 0 || memcmp(got, want, (size_t)n) == 0);
    free(got);
    return same;
}

static int is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Entries of directory `path` other than . and .., or -1 if it cannot be read. */
static int count_entries(const char *path) {
    DIR *d = opendir(path);
    int n = 0;
    if (d == NULL)
        return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

#define HELLO_SHA256 "853ff93762a06ddbf722c4ebe9ddd66d8f63ddaea97f521c3ecc20da7c976020"
#define HELLO_SHA512                                                                                                   \
    "f65f341b35981fda842b09b2c8af9bcdb7602a4c2e6fa1f7d41f0974d3e3122f268fc79d5a4af66358f5133885cd1c165c916f80ab25e5d8d" \
    "95db46f803c782c"
#define APP_SHA256 "785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9"

/*
 * The TUF 1.0 updater against TRUST_C_TUF_URL, an HTTP server of a copy of
 * fixtures/tuf1/basic (TRUST_C_TUF_REPO): init, refresh, target lookup, download,
 * the cached copy, and a tampered target file.
 */
static void tuf_updater(const char *tmp) {
    const char *url = need_env("TRUST_C_TUF_URL");
    const char *repo = need_env("TRUST_C_TUF_REPO");
    char md[600], td[600], meta_url[600], targets_url[600], path[900], hello_served[900], app_served[900];
    unsigned char *root = NULL, *hello = NULL, *app = NULL;
    trust_tuf_updater *u = SENTINEL, *no_targets = SENTINEL;
    trust_tuf_target *t = SENTINEL;
    char *stored = SENTINEL;
    int rc;

    snprintf(md, sizeof md, "%s/tuf-md", tmp);
    snprintf(td, sizeof td, "%s/tuf-targets", tmp);
    snprintf(meta_url, sizeof meta_url, "%s/metadata", url);
    snprintf(targets_url, sizeof targets_url, "%s/targets", url);
    snprintf(path, sizeof path, "%s/metadata/root.json", repo);
    snprintf(hello_served, sizeof hello_served, "%s/targets/%s.hello.txt", repo, HELLO_SHA256);
    snprintf(app_served, sizeof app_served, "%s/targets/dir/sub/%s.app.bin", repo, APP_SHA256);
    long root_len = read_file(path, &root);
    long hello_len = read_file(hello_served, &hello);
    long app_len = read_file(app_served, &app);
    check(root_len > 0 && hello_len == 13 && app_len == 1024, "read the fixture's root.json and target files from %s",
          repo);
    if (root_len <= 0 || hello_len != 13 || app_len != 1024)
        goto out;

    /* init */
    rc = trust_tuf_init(NULL, root, (size_t)root_len);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("metadata_dir"), "trust_tuf_init(NULL dir) -> %d: %s", rc,
          trust_last_error());
    rc = trust_tuf_init(md, NULL, 0);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("root"), "trust_tuf_init(NULL root) -> %d: %s", rc,
          trust_last_error());
    rc = trust_tuf_init(md, (const uint8_t *)"{}", 2);
    check(rc == TRUST_ERR_VERIFICATION && count_entries(md) <= 0, "trust_tuf_init({}) -> %d, nothing stored: %s", rc,
          trust_last_error());
    rc = trust_tuf_init(md, root, (size_t)root_len);
    snprintf(path, sizeof path, "%s/root.json", md);
    check(rc == TRUST_OK && file_is(path, root, root_len) && count_entries(md) == 1,
          "trust_tuf_init(fixture root) -> %d, root.json stored%s%s", rc, rc ? ": " : "", rc ? trust_last_error() : "");

    /* new */
    rc = trust_tuf_updater_new(md, meta_url, targets_url, td, NULL);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("out"), "trust_tuf_updater_new(out=NULL) -> %d", rc);
    rc = trust_tuf_updater_new(NULL, meta_url, NULL, NULL, &u);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && u == NULL && last_error_has("metadata_dir"),
          "trust_tuf_updater_new(metadata_dir=NULL) -> %d, out NULL", rc);
    u = SENTINEL;
    rc = trust_tuf_updater_new(td, meta_url, NULL, NULL, &u);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && u == NULL && last_error_has("no trusted root"),
          "trust_tuf_updater_new(a directory without root.json) -> %d: %s", rc, trust_last_error());
    rc = trust_tuf_updater_new(md, meta_url, targets_url, td, &u);
    check(rc == TRUST_OK && u != NULL, "trust_tuf_updater_new(%s) -> %d%s%s", meta_url, rc, rc ? ": " : "",
          rc ? trust_last_error() : "");
    if (rc != TRUST_OK)
        goto out;
    check(count_entries(md) == 1, "nothing fetched before refresh");

    /* refresh */
    rc = trust_tuf_updater_refresh(NULL);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("updater"), "trust_tuf_updater_refresh(NULL) -> %d", rc);
    rc = trust_tuf_updater_refresh(u);
    int stored_all = 1;
    for (int i = 0; i < 3; i++) {
        static const char *const roles[] = {"timestamp", "snapshot", "targets"};
        snprintf(path, sizeof path, "%s/%s.json", md, roles[i]);
        stored_all &= is_file(path);
    }
    check(rc == TRUST_OK && stored_all && count_entries(md) == 4,
          "trust_tuf_updater_refresh -> %d, root, timestamp, snapshot and targets.json stored%s%s", rc,
          rc ? ": " : "", rc ? trust_last_error() : "");
    check(*trust_last_error() == '\0', "trust_last_error() is \"\" after a TUF success");

    /* get_target */
    rc = trust_tuf_updater_get_target(u, "hello.txt", &t);
    check(rc == TRUST_OK && t != NULL, "trust_tuf_updater_get_target(hello.txt) -> %d%s%s", rc, rc ? ": " : "",
          rc ? trust_last_error() : "");
    if (rc == TRUST_OK) {
        check(strcmp(t->path, "hello.txt") == 0 && strcmp(t->role, "targets") == 0 && t->length == 13,
              "hello.txt: path %s, role %s, length %llu", t->path, t->role, (unsigned long long)t->length);
        check(strcmp(t->hashes_json, "{\"sha256\":\"" HELLO_SHA256 "\",\"sha512\":\"" HELLO_SHA512 "\"}") == 0,
              "hello.txt: hashes_json %s", t->hashes_json);
        check(t->custom_json != NULL && strcmp(t->custom_json, "{\"kind\":\"greeting\",\"n\":1}") == 0,
              "hello.txt: custom_json %s", t->custom_json ? t->custom_json : "(NULL)");
        trust_tuf_target_free(t);
    }
    t = SENTINEL;
    rc = trust_tuf_updater_get_target(u, "missing.txt", &t);
    check(rc == TRUST_ERR_NOT_SIGNED && t == NULL && last_error_has("missing.txt"),
          "trust_tuf_updater_get_target(missing.txt) -> %d, out NULL: %s", rc, trust_last_error());
    t = SENTINEL;
    rc = trust_tuf_updater_get_target(u, NULL, &t);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && t == NULL && last_error_has("path"),
          "trust_tuf_updater_get_target(path=NULL) -> %d", rc);
    rc = trust_tuf_updater_get_target(u, "hello.txt", NULL);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("out"), "trust_tuf_updater_get_target(out=NULL) -> %d",
          rc);
    trust_tuf_target_free(NULL);

    /* download: the file, then the stored copy without the server's */
    rc = trust_tuf_updater_download(u, "hello.txt", &stored);
    snprintf(path, sizeof path, "%s/hello.txt", td);
    check(rc == TRUST_OK && stored != NULL && strcmp(stored, path) == 0 && file_is(path, hello, hello_len),
          "trust_tuf_updater_download(hello.txt) -> %d, %s holds the target's bytes%s%s", rc, path, rc ? ": " : "",
          rc ? trust_last_error() : "");
    trust_string_free(stored);
    stored = SENTINEL;
    rc = trust_tuf_updater_download(u, "dir/sub/app.bin", &stored);
    snprintf(path, sizeof path, "%s/dir%%2Fsub%%2Fapp.bin", td);
    check(rc == TRUST_OK && stored != NULL && strcmp(stored, path) == 0 && file_is(path, app, app_len),
          "trust_tuf_updater_download(dir/sub/app.bin) -> %d, %s holds the target's bytes%s%s", rc, path,
          rc ? ": " : "", rc ? trust_last_error() : "");
    trust_string_free(stored);
    check(count_entries(td) == 2, "the target directory holds the two files and nothing else");
    remove(hello_served);
    stored = SENTINEL;
    rc = trust_tuf_updater_download(u, "hello.txt", &stored);
    snprintf(path, sizeof path, "%s/hello.txt", td);
    check(rc == TRUST_OK && stored != NULL && strcmp(stored, path) == 0,
          "trust_tuf_updater_download(hello.txt) again -> %d: the stored copy, the server's not needed%s%s", rc,
          rc ? ": " : "", rc ? trust_last_error() : "");
    trust_string_free(stored);
    check(write_file(hello_served, hello, (size_t)hello_len) == 0, "restored %s", hello_served);
    stored = SENTINEL;
    rc = trust_tuf_updater_download(u, "missing.txt", &stored);
    check(rc == TRUST_ERR_NOT_SIGNED && stored == NULL, "trust_tuf_updater_download(missing.txt) -> %d: %s", rc,
          trust_last_error());
    rc = trust_tuf_updater_download(u, "hello.txt", NULL);
    check(rc == TRUST_ERR_INVALID_ARGUMENT && last_error_has("stored_path"),
          "trust_tuf_updater_download(stored_path=NULL) -> %d", rc);

    /* a tampered target file (same length) on the server, into an empty target directory */
    rc = trust_tuf_updater_new(md, meta_url, targets_url, NULL, &no_targets);
    check(rc == TRUST_OK, "trust_tuf_updater_new(target_dir=NULL) -> %d", rc);
    if (rc == TRUST_OK) {
        stored = SENTINEL;
        rc = trust_tuf_updater_download(no_targets, "hello.txt", &stored);
        check(rc == TRUST_ERR_INVALID_ARGUMENT && stored == NULL && last_error_has("target directory"),
              "trust_tuf_updater_download without a target directory -> %d: %s", rc, trust_last_error());
        trust_tuf_updater_free(no_targets);
    }
    no_targets = SENTINEL;
    snprintf(path, sizeof path, "%s/tuf-tampered", tmp);
    rc = trust_tuf_updater_new(md, meta_url, targets_url, path, &no_targets);
    check(rc == TRUST_OK, "trust_tuf_updater_new(fresh target dir) -> %d", rc);
    if (rc == TRUST_OK) {
        unsigned char tampered[1024];
        memcpy(tampered, app, sizeof tampered);
        tampered[512] ^= 0xff;
        check(write_file(app_served, tampered, sizeof tampered) == 0, "tampered %s", app_served);
        stored = SENTINEL;
        rc = trust_tuf_updater_download(no_targets, "dir/sub/app.bin", &stored);
        check(rc == TRUST_ERR_VERIFICATION && stored == NULL && last_error_has("app.bin") && count_entries(path) <= 0,
              "trust_tuf_updater_download(tampered app.bin) -> %d, nothing stored: %s", rc, trust_last_error());
        check(write_file(app_served, app, (size_t)app_len) == 0, "restored %s", app_served);
        trust_tuf_updater_free(no_targets);
    }

    trust_tuf_updater_free(u);
    trust_tuf_updater_free(NULL);
out:
    free(root);
    free(hello);
    free(app);
}

/* `trust_test tuf`: the TUF section alone. */
static int tuf_only(void) {
    char tmp[] = "/tmp/trust-c-test.XXXXXX";
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    tuf_updater(tmp);
    nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "tuf") == 0)
        return tuf_only();
    if (argc != 1) {
        fprintf(stderr, "usage: trust_test [tuf]\n");
        return 2;
    }
    const char *server = need_env("TRUST_TEST_SERVER");
    const char *ca = need_env("TRUST_TEST_CA");
    const char *registry = need_env("TRUST_TEST_REGISTRY");
    const char *passphrase = need_env("TRUST_TEST_PASSPHRASE");
    struct expected expected[MAX_EXPECTED];
    int n = read_expected(need_env("TRUST_C_EXPECTED"), expected, MAX_EXPECTED);
    struct oci_case oci_cases[MAX_OCI];
    int n_oci = read_oci_cases(need_env("TRUST_C_OCI_EXPECTED"), oci_cases, MAX_OCI);
    const struct expected *signed_one = NULL;
    char tmp[] = "/tmp/trust-c-test.XXXXXX", trust_dir[600];
    trust_client *c = SENTINEL;

    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (int i = 0; i < n && signed_one == NULL; i++)
        if (strncmp(expected[i].digest, "sha256:", 7) == 0)
            signed_one = &expected[i];
    if (signed_one == NULL) {
        fprintf(stderr, "trust_test: no signed image in $TRUST_C_EXPECTED\n");
        return 2;
    }
    if (mkdtemp(tmp) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(trust_dir, sizeof trust_dir, "%s/trust", tmp);
    /* Keys for the new repository: a root key and its targets key. */
    setenv("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", passphrase, 1);
    setenv("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE", passphrase, 1);

    int rc = trust_client_new(server, trust_dir, ca, &c);
    check(rc == TRUST_OK && c != NULL, "trust_client_new(%s, <fresh trust dir>, %s)%s%s", server, ca, rc ? ": " : "",
          rc ? trust_last_error() : "");
    if (rc != TRUST_OK)
        return 1;
    check(*trust_last_error() == '\0', "trust_last_error() is \"\" after a success");

    null_and_utf8_arguments(c);
    repositories_of_the_real_clis(c, expected, n);
    inspect_of_a_docker_repository(c, signed_one);
    sign_verify_inspect_revoke(c, registry);
    signer_add_remove(c, registry);
    registry_store(tmp, oci_cases, n_oci);
    wrong_ca(server, tmp, signed_one);
    one_client_four_threads(c, signed_one);
    tuf_updater(tmp);

    trust_client_free(c);
    nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
