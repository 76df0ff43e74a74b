/* Example app: keeps the highest value of the configured property per device in the
 * installation's state (key "max:<device>") and raises an alarm when a value passes the
 * configured limit. Start here: docs/apps.md lists the host operations. */
#include "ironloom.h"

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    char device[128], property[72] = "temperature";
    double limit = 80, value;
    char *cfg = il_call("config", "{}");
    if (cfg) {
        il_json_string(cfg, "property", property, sizeof property);
        il_json_number(cfg, "limit", &limit);
        free(cfg);
    }
    if (!il_json_string(event, "device", device, sizeof device)) return 0; /* a manual run */
    if (!il_point(event, property, &value)) return 0;

    char req[384];
    snprintf(req, sizeof req, "{\"key\":\"max:%s\"}", device);
    char *r = il_call("kv.get", req);
    double max = 0;
    int known = r && il_json_number(r, "ok", &max) != NULL;
    free(r);
    if (!known || value > max) {
        snprintf(req, sizeof req, "{\"key\":\"max:%s\",\"value\":%g}", device, value);
        free(il_call("kv.set", req));
    }
    if (value > limit) {
        snprintf(req, sizeof req,
                 "{\"device\":\"%s\",\"type\":\"over_limit\",\"severity\":\"warning\","
                 "\"details\":{\"property\":\"%s\",\"value\":%g,\"limit\":%g}}",
                 device, property, value, limit);
        free(il_call("alarm.raise", req));
    }
    return 0;
}
