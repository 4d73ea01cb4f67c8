"""Channel routing: the two job channels and the page's socket; HTTP goes to the views."""

from channels.routing import route

from .consumers import follow_up, run_job, unwatch_jobs, watch_jobs

channel_routing = [
    route("background.work", run_job),
    route("background.followup", follow_up),
    route("websocket.connect", watch_jobs, path=r"^/jobs/$"),
    route("websocket.disconnect", unwatch_jobs, path=r"^/jobs/$"),
]
