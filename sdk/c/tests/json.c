/* Unit tests of the C SDK's JSON readers and float writer, built natively:
 *   sdk/c/test.sh          (clang-14; or CC=cc sdk/c/test.sh)
 * Each check prints what failed; the exit status is the number of failures. */
#include <math.h>
#include "ironloom.h"

static int failures = 0;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("%s:%d: failed: %s\n", __FILE__, __LINE__, #cond);          \
            failures++;                                                        \
        }                                                                      \
    } while (0)

/* The number of member `key` of `json`, or -999 when there is none. */
static double num(const char *json, const char *key) {
    double v = -999;
    if (!il_json_number(json, key, &v)) return -999;
    return v;
}

static int str_is(const char *json, const char *key, const char *want) {
    char out[64];
    return il_json_string(json, key, out, sizeof out) && strcmp(out, want) == 0;
}

static void nested_keys_are_not_confused(void) {
    /* The top-level key comes after a nested one of the same name. */
    CHECK(num("{\"day\":{\"n\":3},\"n\":5}", "n") == 5);
    /* Only a nested one: none at the top level. */
    CHECK(num("{\"day\":{\"n\":3}}", "n") == -999);
    CHECK(num("{\"days\":[{\"n\":1},{\"n\":2}],\"m\":4}", "n") == -999);
    /* A host reply stands for its ok object (the kv value of an app's state). */
    const char *kv = "{\"ok\":{\"hist\":[{\"last\":1,\"max\":9}],\"cur\":{\"max\":7,\"last\":2},\"last\":3}}";
    CHECK(num(kv, "last") == 3);
    CHECK(num(kv, "max") == -999);
    CHECK(num(il_json_object(kv, "cur"), "max") == 7);
    CHECK(num(il_json_object(kv, "cur"), "last") == 2);
    CHECK(il_json_object(kv, "hist") != NULL && *il_json_object(kv, "hist") == '[');
    CHECK(il_json_object(kv, "last") == NULL);
    CHECK(il_json_object(kv, "none") == NULL);
    /* A reply whose ok is a number, and the ok member itself. */
    CHECK(num("{\"ok\":42}", "ok") == 42);
    CHECK(num("{\"ok\":{\"a\":1}}", "a") == 1);
    /* Keys and braces inside strings are text, not structure. */
    CHECK(num("{\"s\":\"\\\"n\\\":1,{\",\"n\":2}", "n") == 2);
    CHECK(num("{\"s\":\"} \\\\\",\"n\":2}", "n") == 2);
    CHECK(num("{\"note\":\"n\",\"n\":6}", "n") == 6);
    /* A key that is the tail of another is not it. */
    CHECK(num("{\"limit_n\":1,\"n\":2}", "n") == 2);
    CHECK(num("{\"limit_n\":1}", "n") == -999);
    /* Whitespace, and values that are not numbers. */
    CHECK(num(" { \"a\" : { \"n\" : 1 } , \"n\" : -2.5e1 } ", "n") == -25);
    CHECK(num("{\"n\":\"7\"}", "n") == -999);
    CHECK(num("{\"n\":null}", "n") == -999);
    CHECK(num(NULL, "n") == -999);
    /* A model's reply: outputs and units share the names. */
    const char *model = "{\"ok\":{\"outputs\":{\"eta\":0.75,\"P_h\":1.5},\"units\":{\"eta\":\"1\",\"P_h\":\"kW\"}}}";
    CHECK(num(model, "eta") == -999);
    CHECK(num(il_json_object(model, "outputs"), "eta") == 0.75);
    CHECK(num(il_json_object(model, "outputs"), "P_h") == 1.5);
    CHECK(str_is(il_json_object(model, "units"), "P_h", "kW"));
    /* Strings follow the same rules. */
    CHECK(str_is("{\"a\":{\"name\":\"inner\"},\"name\":\"outer\"}", "name", "outer"));
    CHECK(!str_is("{\"a\":{\"name\":\"inner\"}}", "name", "inner"));
    CHECK(str_is("{\"ok\":\"text\"}", "ok", "text"));
}

static void events_and_positions(void) {
    /* A telemetry event: each point's own value and ts, never another point's. */
    const char *ev = "{\"kind\":\"telemetry\",\"device\":\"m1\",\"points\":["
                     "{\"property\":\"a\",\"ts\":1000,\"value\":1.5},"
                     "{\"property\":\"b\",\"ts\":2000},"
                     "{\"property\":\"c\",\"ts\":3000,\"value\":3}],"
                     "\"rule\":{\"id\":\"r1\",\"ts\":9}}";
    double v = 0, ts = 0;
    CHECK(il_point(ev, "a", &v) && v == 1.5);
    CHECK(il_point_ts(ev, "a", &ts) && ts == 1000);
    CHECK(!il_point(ev, "b", &v)); /* no value of its own: not c's */
    CHECK(il_point_ts(ev, "b", &ts) && ts == 2000);
    CHECK(il_point(ev, "c", &v) && v == 3);
    CHECK(num(ev, "ts") == -999); /* the points' and the rule's ts are nested */
    CHECK(str_is(ev, "device", "m1"));
    CHECK(!str_is(ev, "id", "r1"));
    CHECK(str_is(il_json_object(ev, "rule"), "id", "r1"));
    /* At a member whose value is an object ("flow":{...} in a latest reply): that object. */
    const char *latest = "{\"ok\":{\"values\":{\"flow\":{\"ts\":5,\"value\":36},\"head\":{\"ts\":6,\"value\":20}}}}";
    const char *flow = strstr(latest, "\"flow\":");
    const char *head = strstr(latest, "\"head\":");
    CHECK(num(flow, "value") == 36 && num(flow, "ts") == 5);
    CHECK(num(head, "value") == 20 && num(head, "ts") == 6);
    CHECK(num(il_json_object(il_json_object(latest, "values"), "head"), "value") == 20);
    /* Inside an object: its members from there to its end. */
    const char *mid = strstr(ev, "\"property\":\"c\"");
    CHECK(num(mid, "value") == 3);
    CHECK(num(mid, "ts") == 3000);
    CHECK(num(strstr(ev, "\"property\":\"b\""), "value") == -999);
    /* The pointer past the number. */
    const char *end = il_json_number("{\"n\":12.5,\"m\":1}", "n", &v);
    CHECK(end != NULL && *end == ',');
}

static void floats_are_written_with_a_decimal_point(void) {
    char b[32];
    CHECK(strcmp(il_json_float(b, sizeof b, 2.0, 0), "2.0") == 0);
    CHECK(strcmp(il_json_float(b, sizeof b, 2.0, 10), "2.0") == 0);
    CHECK(strcmp(il_json_float(b, sizeof b, 0.0, 0), "0.0") == 0);
    CHECK(strcmp(il_json_float(b, sizeof b, -3.0, 6), "-3.0") == 0);
    CHECK(strcmp(il_json_float(b, sizeof b, 2.5, 0), "2.5") == 0);
    CHECK(strcmp(il_json_float(b, sizeof b, 0.1, 0), "0.1") == 0);
    CHECK(strcmp(il_json_float(b, sizeof b, 1.0 / 3.0, 0), "0.3333333333333333") == 0);
    CHECK(strcmp(il_json_float(b, sizeof b, 1.0 / 3.0, 4), "0.3333") == 0);
    CHECK(strcmp(il_json_float(b, sizeof b, 1e21, 0), "1e+21") == 0);
    CHECK(strcmp(il_json_float(b, sizeof b, NAN, 0), "null") == 0);
    CHECK(strcmp(il_json_float(b, sizeof b, -INFINITY, 0), "null") == 0);
    /* Every finite value reads back as a float (a '.' or an exponent) and exactly. */
    const double xs[] = {74.01430440804378, 1700000000000.0, 5e-324, 1.7976931348623157e308, -0.0};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        il_json_float(b, sizeof b, xs[i], 0);
        CHECK(strpbrk(b, ".e") != NULL);
        CHECK(strtod(b, NULL) == xs[i]);
    }
}

int main(void) {
    nested_keys_are_not_confused();
    events_and_positions();
    floats_are_written_with_a_decimal_point();
    if (failures == 0) printf("sdk/c/tests/json.c: all checks passed\n");
    return failures;
}
