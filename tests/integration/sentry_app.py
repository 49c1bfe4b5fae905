"""A tiny app that reports through the real sentry-sdk, driven by test_sentry_sdk.py.

usage: sentry_app.py DSN SCENARIO [COMPRESSION]
COMPRESSION: br (default when the brotli module is installed), gzip, or off.
"""

import logging
import sys

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration


class PaymentError(Exception):
    pass


def charge(order):
    raise PaymentError(f"card declined for order {order}")


def lookup(sku):
    return {}[sku]


def main():
    dsn, scenario = sys.argv[1], sys.argv[2]
    compression = sys.argv[3] if len(sys.argv) > 3 else "default"
    experiments = {}
    if compression == "off":
        experiments["transport_compression_level"] = 0
    elif compression in ("gzip", "br"):
        experiments["transport_compression_algo"] = compression
    sentry_sdk.init(
        dsn=dsn,
        environment="production",
        release="shop@1.4.2",
        traces_sample_rate=1.0 if scenario == "transaction" else 0.0,
        integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        _experiments=experiments,
        debug=False,
    )
    sentry_sdk.set_user({"id": "user-42"})
    if scenario == "exceptions":
        for order in (1231, 1232):
            try:
                charge(order)
            except PaymentError:
                sentry_sdk.capture_exception()
        try:
            lookup("sku-9")
        except KeyError:
            sentry_sdk.capture_exception()
    elif scenario == "logging":
        logging.getLogger("shop.orders").error("Order %s could not be shipped", 77)
        logging.getLogger("shop.orders").error("Order %s could not be shipped", 78)
    elif scenario == "transaction":
        with sentry_sdk.start_transaction(name="checkout", op="http.server"):
            pass
        try:
            charge(5)
        except PaymentError:
            sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    main()
