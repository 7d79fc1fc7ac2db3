"""Load on todo-api: every user calls ``todos.v1.Todos/GetTodos`` with an empty request
(protos/todos.proto), as the article's GrpcLocust did.

    locust -f lib/loadtest/locust/todos_locustfile.py --host <todo-api host>:<port>
"""
from locust import between, task

from grpc_user import GrpcUser, load_stubs

todos_pb2, todos_pb2_grpc = load_stubs("todos")


class TodosUser(GrpcUser):
    stub_class = todos_pb2_grpc.TodosStub
    wait_time = between(0.1, 0.5)

    @task
    def get_todos(self):
        self.call(self.stub.GetTodos, todos_pb2.GetTodosRequest())
