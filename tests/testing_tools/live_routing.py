"""ROUTING for the runner cases (``CHANNELS_TEST_ROUTING``): read by the test process and by
the live server it starts."""

from tests.testing_tools import consumers

channel_routing = [
    consumers.AsyncShout.as_route(path=r"^/shout/$"),
    consumers.JsonEcho.as_route(path=r"^/json/"),
    consumers.UserExists.as_route(path=r"^/users/(?P<username>\w+)/$"),
]
