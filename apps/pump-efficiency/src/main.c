/* Pump efficiency monitor: on every message with flow, head and shaft power, computes
 * the hydraulic power and efficiency with the model library's pump.hydraulic_power
 * (units converted by the platform), writes them back as the pump's derived
 * telemetry, and raises an alarm when the efficiency stays below the configured
 * threshold for the configured number of messages (cleared when it recovers). */
#include "ironloom.h"

/* Consecutive low readings per device are kept in the installation's state
 * ("low:<device>"), with the last reading for the panel ("pump:<device>"). */
static int low_count(const char *device, int delta_or_reset) {
    char req[256], key[160];
    snprintf(key, sizeof key, "low:%s", device);
    snprintf(req, sizeof req, "{\"key\":\"%s\"}", key);
    char *r = il_call("kv.get", req);
    double n = 0;
    if (r) il_json_number(r, "ok", &n);
    free(r);
    int next = delta_or_reset < 0 ? 0 : (int)n + delta_or_reset;
    snprintf(req, sizeof req, "{\"key\":\"%s\",\"value\":%d}", key, next);
    free(il_call("kv.set", req));
    return next;
}

/* A number among a model's outputs (the reply {"ok":{"outputs":{...},"units":{...}}}). */
static const char *model_output(const char *reply, const char *key, double *out) {
    return il_json_number(il_json_object(reply, "outputs"), key, out);
}

IRONLOOM_APP(const char *event, int len) {
    (void)len;
    char device[128];
    double flow, head, power;
    if (!il_json_string(event, "device", device, sizeof device)) return 0;
    if (!il_point(event, "flow", &flow) || !il_point(event, "head", &head) ||
        !il_point(event, "power", &power) || power <= 0)
        return 0; /* not every message carries all three */

    char *cfg = il_call("config", "{}");
    double threshold = 0.5, rho = 998.0, persist = 3;
    char flow_unit[24] = "m³/h", power_unit[24] = "kW";
    if (cfg) {
        il_json_number(cfg, "threshold", &threshold);
        il_json_number(cfg, "density", &rho);
        il_json_number(cfg, "persist", &persist);
        il_json_string(cfg, "flow_unit", flow_unit, sizeof flow_unit);
        il_json_string(cfg, "power_unit", power_unit, sizeof power_unit);
        free(cfg);
    }

    char req[512];
    snprintf(req, sizeof req,
             "{\"model\":\"pump.hydraulic_power\",\"inputs\":{\"rho\":%g,"
             "\"Q\":{\"value\":%g,\"unit\":\"%s\"},\"H\":%g,"
             "\"P_shaft\":{\"value\":%g,\"unit\":\"%s\"}}}",
             rho, flow, flow_unit, head, power, power_unit);
    char *r = il_call("model", req);
    double eta, ph;
    if (!il_ok(r) || !model_output(r, "eta", &eta) || !model_output(r, "P_h", &ph)) {
        il_warn(r ? r : "no reply from the model");
        free(r);
        return 1;
    }
    free(r);

    /* The derived values carry the time of the readings they come from. */
    double ts = 0;
    char at[40] = "";
    if (il_point_ts(event, "flow", &ts) && ts > 0) snprintf(at, sizeof at, "\"ts\":%.0f,", ts);
    snprintf(req, sizeof req,
             "{\"device\":\"%s\",%s\"values\":{\"eff\":%.6f,\"hydraulic_power\":%.6f}}",
             device, at, eta, ph * 1000.0);
    r = il_call("write", req);
    if (!il_ok(r)) {
        il_warn(r ? r : "no reply to write");
        free(r);
        return 2;
    }
    free(r);

    int low = eta < threshold ? low_count(device, 1) : low_count(device, -1);
    /* What the panel shows: the pump's last reading and how many low ones in a row. */
    snprintf(req, sizeof req,
             "{\"key\":\"pump:%s\",\"value\":{\"eff\":%.6f,\"hydraulic_kw\":%.4f,"
             "\"flow\":%g,\"head\":%g,\"power\":%g,\"ts\":%.0f,\"low\":%d,\"threshold\":%g}}",
             device, eta, ph, flow, head, power, ts, low, threshold);
    free(il_call("kv.set", req));
    if (eta < threshold) {
        if (low >= (int)persist) {
            snprintf(req, sizeof req,
                     "{\"device\":\"%s\",\"type\":\"low_pump_efficiency\",\"severity\":\"major\","
                     "\"details\":{\"efficiency\":%.4f,\"threshold\":%g}}",
                     device, eta, threshold);
            free(il_call("alarm.raise", req));
        }
    } else {
        snprintf(req, sizeof req, "{\"device\":\"%s\",\"type\":\"low_pump_efficiency\"}", device);
        free(il_call("alarm.clear", req));
    }
    printf("%s: efficiency %.3f (hydraulic %.2f kW)\n", device, eta, ph);
    return 0;
}
