"""Start the Day Services Planner: ``python app.py`` (or ``gunicorn app:server``)."""

from dashboard import create_app
from dashboard.config import settings_from_env

settings = settings_from_env()
app = create_app(settings)
server = app.server

if __name__ == "__main__":
    app.run(host=settings.host, port=settings.port, debug=settings.debug)
