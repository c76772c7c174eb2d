"""The bare Flask baselines: a route serving a fixed page, and a route serving fixed JSON."""
import json
import os
from pathlib import Path

from flask import Flask, Response, jsonify


def create_app() -> Flask:
    app = Flask(__name__)
    page = Path(os.environ["BENCH_PAGE_FILE"]).read_text() if "BENCH_PAGE_FILE" in os.environ \
        else "<html><body>baseline</body></html>"
    document = json.loads(Path(os.environ["BENCH_JSON_FILE"]).read_text()) \
        if "BENCH_JSON_FILE" in os.environ else {"status": "ok"}

    @app.route("/page")
    def static_page():
        return Response(page, mimetype="text/html")

    @app.route("/json")
    def static_json():
        return jsonify(document)

    return app
