import pytest

from tests.factories import IntegrationFactory


@pytest.fixture(autouse=True)
def loopback_providers(settings):
    """Providers in these tests are servers on 127.0.0.1, which delivery refuses by default;
    and a short timeout, so the timeout tests are quick."""
    settings.INTEGRATION_ALLOW_PRIVATE_NETWORKS = True
    settings.INTEGRATION_TIMEOUT_SECONDS = 1.0


@pytest.fixture
def slack(tenant):
    def make(environment=None, **fields):
        return IntegrationFactory(
            environment=environment or tenant.production,
            channel="chat",
            provider_id="slack",
            credentials=fields.pop("credentials", {}),
            **fields,
        )

    return make


@pytest.fixture
def smtp_server():
    from tests.smtp import running_smtp_server

    server, controller = running_smtp_server()
    yield server
    controller.stop()


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never says a word: providers time out."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()
