"""A small app instrumented with the real OpenTelemetry Python SDK, for test_otlp.py.

    python3 otel_app.py logged-exception|span-exception|plain-span protobuf|json

It exports to wherever the SDK's own environment says (OTEL_EXPORTER_OTLP_ENDPOINT,
OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES), as an app deployed with
Firebell would, over OTLP/HTTP in protobuf (opentelemetry-exporter-otlp-proto-http)
or JSON (opentelemetry-exporter-otlp-json-http), and flushes before it exits.
"""

import logging
import sys

from opentelemetry.sdk.resources import Resource


class PaymentError(Exception):
    pass


def charge(order):
    raise PaymentError(f"card declined for order {order}")


def checkout(order):
    return charge(order)


def logged_exception(protocol):
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    if protocol == "json":
        from opentelemetry.exporter.otlp.json.http._log_exporter import OTLPLogExporter
    else:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    provider = LoggerProvider(resource=Resource.create())
    provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
    logger = logging.getLogger("shop.checkout")
    logger.addHandler(LoggingHandler(logger_provider=provider))
    logger.setLevel(logging.INFO)
    logger.info("checkout started")  # no exception: accepted and dropped
    try:
        checkout(1231)
    except PaymentError:
        logger.exception("payment failed")
    provider.shutdown()


def traced(protocol, fail):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    if protocol == "json":
        from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    provider = TracerProvider(resource=Resource.create())
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
    tracer = provider.get_tracer("shop.checkout")
    with tracer.start_as_current_span("POST /checkout") as span:
        span.add_event("cart loaded", {"items": 3})
        if fail:
            try:
                checkout(1232)
            except PaymentError as error:
                span.record_exception(error)
    provider.shutdown()


if __name__ == "__main__":
    mode, protocol = sys.argv[1], sys.argv[2]
    if mode == "logged-exception":
        logged_exception(protocol)
    else:
        traced(protocol, fail=mode == "span-exception")
