"""The Flask app: Twilio webhooks, health, the API and the organizers' pages (webhooks/dashboard/)."""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.services import Services, build_services
from bot.settings import Settings


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    settings = settings or (services.settings if services else Settings.from_env())
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # Twilio forms are a few KB
    app.extensions["streetline"] = services or build_services(settings)
    if settings.proxy_fix:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    from webhooks import api, broadcasts_api, dashboard, errors, headers, health, inputs, reports_api, twilio
    from webhooks import authorities_api

    from webhooks import polls_api
    from webhooks import public_results

    inputs.init_app(app)
    headers.init_app(app)

    for blueprint in (twilio.bp, health.bp, api.bp, reports_api.bp, broadcasts_api.bp, polls_api.bp, authorities_api.bp,
                      public_results.bp):
        app.register_blueprint(blueprint)
    dashboard.init_app(app)
    errors.init_app(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app
