/* Times trust_verify in one process: N calls on one handle, after a first call
 * that fills the cache. Usage: verify_loop SERVER TRUST_DIR IMAGE N */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <trust.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s SERVER TRUST_DIR IMAGE N\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[4]);
    trust_client *client = NULL;
    char *digest = NULL;
    if (trust_client_new(argv[1], argv[2], NULL, &client) != TRUST_OK ||
        trust_verify(client, argv[3], &digest) != TRUST_OK) {
        fprintf(stderr, "%s\n", trust_last_error());
        return 1;
    }
    trust_string_free(digest);
    double start = now();
    for (int i = 0; i < n; i++) {
        if (trust_verify(client, argv[3], &digest) != TRUST_OK) {
            fprintf(stderr, "%s\n", trust_last_error());
            return 1;
        }
        trust_string_free(digest);
    }
    double per_call = (now() - start) / n;
    printf("trust_verify in-process: %d calls, %.3f ms per call\n", n, per_call * 1e3);
    trust_client_free(client);
    return 0;
}
