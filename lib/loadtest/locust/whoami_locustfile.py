"""Load on the whoami service: every user calls ``whoami.v1.WhoAmI/Who`` (protos/whoami.proto).

    locust -f lib/loadtest/locust/whoami_locustfile.py --host 127.0.0.1:10000

Target: a whoami server (``npm run whoami:server``) or a GrpcService fleet member, as <host>:<port>.
"""
from locust import between, task

from grpc_user import GrpcUser, load_stubs

whoami_pb2, whoami_pb2_grpc = load_stubs("whoami")


class WhoAmIUser(GrpcUser):
    stub_class = whoami_pb2_grpc.WhoAmIStub
    wait_time = between(0.1, 0.5)

    @task
    def who(self):
        self.call(self.stub.Who, whoami_pb2.WhoRequest())
