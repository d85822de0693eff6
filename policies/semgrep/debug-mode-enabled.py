import os

from flask import Flask

app = Flask(__name__)

# ruleid: django-debug-enabled
DEBUG = True

# ok: django-debug-enabled
TEMPLATE_DEBUG = os.environ.get("DEBUG") == "1"


def configure():
    # ok: django-debug-enabled
    DEBUG = True
    return DEBUG


# ruleid: debug-mode-enabled
app.debug = True
# ruleid: debug-mode-enabled
app.config["DEBUG"] = True
# ruleid: debug-mode-enabled
app.config.update(DEBUG=True, SECRET_KEY=os.environ["SECRET_KEY"])
# ok: debug-mode-enabled
app.config.update(DEBUG=os.environ.get("FLASK_DEBUG") == "1")

if __name__ == "__main__":
    # ruleid: debug-mode-enabled
    app.run(host="0.0.0.0", debug=True)
    # ok: debug-mode-enabled
    app.run(host="0.0.0.0", debug=os.environ.get("FLASK_DEBUG") == "1")
    # ok: debug-mode-enabled
    app.run(port=8000)
