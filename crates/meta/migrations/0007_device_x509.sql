-- Devices that log in with a client certificate (mutual TLS): the SHA-256 fingerprint of
-- the certificate, 64 lower-case hex digits, NULL for none. Unique platform-wide, so a
-- certificate can only ever log in as one device.
ALTER TABLE devices ADD COLUMN x509_fingerprint TEXT;
CREATE UNIQUE INDEX devices_x509_fingerprint_key ON devices (x509_fingerprint);
