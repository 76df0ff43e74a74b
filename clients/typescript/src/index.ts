// Client of Ironloom's REST API, generated from its OpenAPI document (see clients/README.md).
export * from "./client.js";
export * from "./generated.js";
