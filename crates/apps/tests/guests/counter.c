/* A C app on the SDK: counts its events in its key-value state, prints through libc
 * (stdout becomes logs), reads the clock and randomness through WASI. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "ironloom.h"

static long counted = -1;

IRONLOOM_APP(const char *event, int len) {
    if (counted < 0) {
        char *r = il_call("kv.get", "{\"key\":\"count\"}");
        counted = (il_ok(r) && strcmp(r, "{\"ok\":null}") != 0) ? atol(r + 6) : 0;
        free(r);
    }
    counted++;
    char req[64];
    snprintf(req, sizeof req, "{\"key\":\"count\",\"value\":%ld}", counted);
    char *r = il_call("kv.set", req);
    if (!il_ok(r)) {
        il_warn(r ? r : "no reply");
        free(r);
        return 1;
    }
    free(r);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned char rnd[8];
    if (getentropy(rnd, sizeof rnd) != 0) return 2;
    printf("event %ld of %d bytes at %lld\n", counted, len, (long long)ts.tv_sec);
    if (len >= 4 && memcmp(event, "spin", 4) == 0) {
        volatile unsigned long x = 0;
        for (;;) x++;
    }
    return 0;
}
