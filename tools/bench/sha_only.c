/*
 * sha_only.c - make bench's "hash limit": the CPU time mbedTLS needs to
 * SHA-256 a file of already-normalised identifiers, one per line, in a
 * tight loop. No client can upload hashed identifiers for less.
 *
 *   sha_only FILE        prints "ids N bytes B cpu_s S digest_xor HEX"
 *
 * A benchmark tool, not library code: it reads the whole file into memory
 * first, so that only the hashing is on the clock (CLOCK_PROCESS_CPUTIME_ID
 * around the loop). The XOR of every digest is printed so the loop cannot
 * be optimised away and two runs can be compared.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/sha256.h>

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: sha_only FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        perror(argv[1]);
        return 1;
    }
    long size = ftell(f);
    rewind(f);
    unsigned char *data = malloc((size_t)size + 1u);
    if (size < 0 || data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "sha_only: cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);

    unsigned char digest[32], folded[32] = { 0 };
    unsigned long ids = 0, bytes = 0;
    double t0 = cpu_now();
    const unsigned char *p = data, *end = data + size;
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        if (mbedtls_sha256_ret(p, len, digest, 0) != 0) {
            fprintf(stderr, "sha_only: mbedtls_sha256_ret failed\n");
            return 1;
        }
        for (int i = 0; i < 32; i++) {
            folded[i] ^= digest[i];
        }
        ids++;
        bytes += len;
        p += len + 1;
    }
    double cpu = cpu_now() - t0;

    printf("ids %lu bytes %lu cpu_s %.6f digest_xor ", ids, bytes, cpu);
    for (int i = 0; i < 32; i++) {
        printf("%02x", folded[i]);
    }
    printf("\n");
    free(data);
    return 0;
}
