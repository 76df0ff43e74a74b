"""Registration over the Handle.Net REST API by the real pyhandle 1.5.0 (EUDAT's client),
run by crates/ironloom/tests/mqtt/identifier_apis.rs against a real `ironloom serve`.

    python pyhandle_driver.py BASE_URL USER KEY PREFIX OTHER_HANDLE

USER is the administrator's handle value (`300:PREFIX/ADMIN`, registered and publicly
resolvable: pyhandle resolves it when it starts), KEY an Ironloom API key of the tenant
holding PREFIX, OTHER_HANDLE an identifier of another tenant. Every step's outcome goes
into one JSON object on standard output (the Rust test judges them); standard library
and pyhandle only.
"""

import json
import sys

from pyhandle.client.resthandleclient import RESTHandleClient
from pyhandle.handleexceptions import (
    GenericHandleError,
    HandleAlreadyExistsException,
    HandleAuthenticationError,
    HandleNotFoundException,
)


def outcome(step):
    """What a step returned, or the name of the exception it raised."""
    try:
        return {"ok": step()}
    except (
        GenericHandleError,
        HandleAlreadyExistsException,
        HandleAuthenticationError,
        HandleNotFoundException,
    ) as e:
        return {"error": type(e).__name__, "message": str(e)[:600]}


def main():
    base, user, key, prefix, other = sys.argv[1:6]
    report = {}
    client = RESTHandleClient.instantiate_with_username_and_password(base, user, key)
    handle = prefix + "/PYH-0001"

    report["register"] = outcome(
        lambda: client.register_handle(
            handle, "https://plant.example/p/1", EMAIL="qa@plant.example", LOT="L-7"
        )
    )
    report["record"] = outcome(lambda: client.retrieve_handle_record(handle))
    report["register_again"] = outcome(
        lambda: client.register_handle(handle, "https://plant.example/p/other")
    )
    report["modify"] = outcome(
        lambda: client.modify_handle_value(
            handle, URL="https://plant.example/p/1b", COLOUR="blue"
        )
    )
    report["after_modify"] = outcome(lambda: client.retrieve_handle_record_json(handle))
    report["delete_value"] = outcome(lambda: client.delete_handle_value(handle, "EMAIL"))
    report["after_delete_value"] = outcome(lambda: client.retrieve_handle_record(handle))
    report["json_register"] = outcome(
        lambda: client.register_handle_json(
            prefix + "/PYH-0002",
            [{"index": 1, "type": "URL", "data": "https://plant.example/p/2"}],
        )
    )
    report["delete"] = outcome(lambda: client.delete_handle(handle))
    report["after_delete"] = outcome(lambda: client.retrieve_handle_record(handle))
    report["delete_missing"] = outcome(lambda: client.delete_handle(handle))

    # A wrong password: the client starts (its check only resolves the user handle),
    # its first write is refused.
    wrong = RESTHandleClient.instantiate_with_username_and_password(
        base, user, "ilk_00000000000000000000000000000000_wrong"
    )
    report["wrong_password"] = outcome(
        lambda: wrong.register_handle(prefix + "/PYH-9", "https://plant.example/p/9")
    )

    # Another tenant's prefix: neither a new handle there nor a change to one of theirs.
    other_prefix = other.split("/", 1)[0]
    report["other_tenant_register"] = outcome(
        lambda: client.register_handle(other_prefix + "/PYH-X", "https://plant.example/x")
    )
    report["other_tenant_modify"] = outcome(
        lambda: client.modify_handle_value(other, URL="https://plant.example/stolen")
    )
    report["other_tenant_delete"] = outcome(lambda: client.delete_handle(other))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
