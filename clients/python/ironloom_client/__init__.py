"""Client of Ironloom's REST API, generated from its OpenAPI document (see clients/README.md).

    from ironloom_client import IronloomClient, ApiError
    c = IronloomClient("http://127.0.0.1:8080")
    c.authenticate("demo", "ironloom-demo-1", tenant="demo")
    print([d["name"] for d in c.pages(c.list_devices)])

The types of the API's schemas (TypedDicts) are in `ironloom_client.types`.
"""

from . import types
from .client import ApiError, DeviceHttp, IronloomClient, IronloomError, TransportError

__all__ = ["ApiError", "DeviceHttp", "IronloomClient", "IronloomError", "TransportError", "types"]
__version__ = "0.1.0"
