"""gRPC load from Locust: an interceptor that reports every call as a Locust request, and a User base
class for gRPC services.

Each unary call made through a GrpcUser's channel fires Locust's ``request`` event with

- ``request_type`` ``grpc`` and ``name`` the full RPC name (``whoami.v1.WhoAmI/Who``): the row of the
  statistics, the CSV and the web UI;
- ``response_time`` in milliseconds (measured around the whole call) and ``response_length`` the
  size of the serialized reply in bytes (0 for a failed call);
- ``exception`` None for status OK, otherwise a GrpcCallError naming the status code and details
  (without the grpc-core debug string, which carries a timestamp and would make every failure a row
  of its own).

The stubs are generated from the project's .proto files by ``grpc_tools.protoc`` (``npm run
loadtest:stubs``, the loadtest:local runner or the image build) into a folder named by
MEGA8S_GRPC_STUBS (default: ``stubs/`` next to this file); ``load_stubs("whoami")`` imports
``whoami_pb2`` and ``whoami_pb2_grpc`` from there.

Run distributed, the master logs one line when it quits, ``worker requests: {"<worker id>": n, ...}``:
how many requests each worker reported, so that a run can prove every worker took part.
"""
import importlib
import json
import logging
import os
import sys
import time

import grpc
import grpc.experimental.gevent as grpc_gevent
import locust.runners
from locust import User, events
from locust.exception import LocustError
from locust.runners import MasterRunner

# Locust runs users as gevent greenlets: without this a blocking gRPC call would stall every user
# of the process, not just the one waiting.
grpc_gevent.init_gevent()

# Debian's python3-locust (2.12.1-1, bookworm) ships `version = ''` in locust/_version.py. A worker
# announces itself with that version and a master takes an empty one for a pre-2.0 worker and
# ignores it, so distributed runs never start. Give every process of such an install the same
# placeholder version; installs that know their version are left alone.
UNKNOWN_LOCUST_VERSION = "0.0.0+unversioned"
if not locust.runners.__version__:
    locust.runners.__version__ = UNKNOWN_LOCUST_VERSION

STUBS_ENV = "MEGA8S_GRPC_STUBS"
DEFAULT_STUBS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs")
WORKER_REPORT_PREFIX = "worker requests: "

logger = logging.getLogger("mega8s.loadtest")


class GrpcCallError(Exception):
    """A call that ended with a status other than OK, as Locust records it."""

    def __init__(self, code, details):
        self.code = code
        self.details = details
        super().__init__(f"{code.name}: {details}" if details else code.name)


def stubs_dir():
    return os.environ.get(STUBS_ENV) or DEFAULT_STUBS_DIR


def load_stubs(proto):
    """Imports ``<proto>_pb2`` and ``<proto>_pb2_grpc`` generated from ``protos/<proto>.proto``."""
    directory = stubs_dir()
    if not os.path.isfile(os.path.join(directory, f"{proto}_pb2_grpc.py")):
        raise LocustError(
            f"no stubs for protos/{proto}.proto in {directory}: generate them with `npm run loadtest:stubs` "
            f"(or point {STUBS_ENV} at a folder written by grpc_tools.protoc)"
        )
    if directory not in sys.path:
        # The generated *_pb2_grpc modules import their *_pb2 module by its bare name.
        sys.path.insert(0, directory)
    return importlib.import_module(f"{proto}_pb2"), importlib.import_module(f"{proto}_pb2_grpc")


def rpc_name(method):
    """``/whoami.v1.WhoAmI/Who`` (the HTTP/2 path of the call) -> ``whoami.v1.WhoAmI/Who``."""
    if isinstance(method, bytes):
        method = method.decode("ascii")
    return method[1:] if method.startswith("/") else method


class LocustInterceptor(grpc.UnaryUnaryClientInterceptor):
    """Fires a Locust request event for every unary-unary call that passes through the channel."""

    def __init__(self, environment):
        self.environment = environment

    def intercept_unary_unary(self, continuation, client_call_details, request):
        started_at = time.time()
        started = time.perf_counter()
        outcome = continuation(client_call_details, request)
        exception = None
        response_length = 0
        try:
            response_length = outcome.result().ByteSize()
        except grpc.RpcError as err:
            exception = GrpcCallError(err.code(), err.details())
        self.environment.events.request.fire(
            request_type="grpc",
            name=rpc_name(client_call_details.method),
            start_time=started_at,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=response_length,
            exception=exception,
            context={},
            response=None if exception else outcome,
        )
        return outcome


def parse_target(host):
    """The host Locust was given (``-H``/``--host``) as a gRPC target ``host:port``."""
    if not host:
        raise LocustError("no target: start Locust with --host <host>:<port> (e.g. --host 127.0.0.1:10000)")
    if "://" in host:
        raise LocustError(f"host {host!r} is a URL; a gRPC target is <host>:<port> (e.g. 127.0.0.1:10000)")
    name, sep, port = host.rpartition(":")
    if not sep or not name or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise LocustError(f"host {host!r} is not <host>:<port> with a port in 1-65535")
    return host


class GrpcUser(User):
    """A Locust user with a plaintext gRPC channel to ``host`` and a stub of ``stub_class`` on it.

    Subclasses set ``stub_class`` (a generated ``*Stub``) and call ``self.call(self.stub.Method,
    request)`` in their tasks.
    """

    abstract = True
    stub_class = None
    # Deadline of every call; a call past it is a DEADLINE_EXCEEDED failure.
    call_timeout_seconds = 5.0

    def __init__(self, environment):
        super().__init__(environment)
        if self.stub_class is None:
            raise LocustError(f"{type(self).__name__}: stub_class is not set (a generated *Stub class)")
        self.target = parse_target(self.host)
        self._channel = grpc.intercept_channel(grpc.insecure_channel(self.target), LocustInterceptor(environment))
        self.stub = self.stub_class(self._channel)

    def call(self, method, request):
        """Calls a unary RPC; returns the reply, or None when the call failed (already reported)."""
        try:
            return method(request, timeout=self.call_timeout_seconds)
        except grpc.RpcError:
            return None

    def on_stop(self):
        self._channel.close()


@events.init.add_listener
def _count_worker_requests(environment, **_kwargs):
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    requests = {}

    def on_worker_report(client_id, data):
        total = data.get("stats_total") or {}
        requests[client_id] = requests.get(client_id, 0) + int(total.get("num_requests", 0))

    def on_quitting(**_kw):
        logger.info(WORKER_REPORT_PREFIX + json.dumps(requests, sort_keys=True))

    environment.events.worker_report.add_listener(on_worker_report)
    environment.events.quitting.add_listener(on_quitting)
