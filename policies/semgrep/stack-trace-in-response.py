import logging
import traceback

from django.http import HttpResponse, JsonResponse
from fastapi import FastAPI, HTTPException
from flask import Flask, jsonify

app = Flask(__name__)
api = FastAPI()
logger = logging.getLogger(__name__)


@app.route("/a")
def view_a():
    try:
        return do_work()
    except Exception:
        # ruleid: stack-trace-in-response
        return jsonify(error=traceback.format_exc()), 500


@app.route("/b")
def view_b():
    try:
        return do_work()
    except Exception as e:
        # ruleid: stack-trace-in-response
        return {"error": str(e)}, 500


@app.get("/c")
def view_c():
    try:
        return do_work()
    except Exception as exc:
        message = f"failed: {exc}"
        # ruleid: stack-trace-in-response
        raise HTTPException(status_code=500, detail=message)


def django_view(request):
    try:
        return do_work()
    except Exception as e:
        trace = traceback.format_exc()
        # ruleid: stack-trace-in-response
        return HttpResponse(trace, status=500)


def django_json(request):
    try:
        return do_work()
    except BaseException as err:
        # ruleid: stack-trace-in-response
        return JsonResponse({"detail": repr(err)}, status=500)


@app.route("/ok1")
def ok_view():
    try:
        return do_work()
    except Exception:
        logger.exception("work failed")
        # ok: stack-trace-in-response
        return jsonify(error="internal error", id="E123"), 500


@app.route("/ok2")
def ok_view2():
    try:
        return do_work()
    except Exception as e:
        logger.error("work failed: %s", e)
        # ok: stack-trace-in-response
        return jsonify(error=type(e).__name__), 500


@app.route("/ok3")
def ok_view3():
    try:
        return do_work()
    except ValueError as e:
        # ok: stack-trace-in-response
        return jsonify(error=str(e)), 400


def helper_not_a_view():
    try:
        return do_work()
    except Exception as e:
        # ok: stack-trace-in-response
        return str(e)


def do_work():
    return "done"
