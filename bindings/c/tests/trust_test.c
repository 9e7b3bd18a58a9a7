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
 *
 * Prints one line per check ("ok - ..." or "not ok - ..."), exits 1 if any failed.
 */
#define _XOPEN_SOURCE 700

#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void) {
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

    trust_client_free(c);
    nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
