import logging
import sys
import traceback
import warnings

logger = logging.getLogger(__name__)


def work():
    return 1


def swallowed():
    try:
        value = work()
    except:
        # ruleid: bare-except-swallow
        value = None
    return value


def swallowed_return():
    try:
        import ujson as json
    except:
        # ruleid: bare-except-swallow
        return None
    return json


def swallowed_after_other_handler():
    try:
        return work()
    except ValueError:
        raise
    except:
        # ruleid: bare-except-swallow
        return 0


def handled_logging():
    try:
        return work()
    except:
        # ok: bare-except-swallow
        logger.exception("work failed")
        return None


def handled_reraise():
    try:
        return work()
    except:
        # ok: bare-except-swallow
        cleanup = True
        if cleanup:
            raise
        return None


def handled_print():
    try:
        return work()
    except:
        # ok: bare-except-swallow
        traceback.print_exc()
        sys.exit(1)


def handled_warn():
    try:
        return work()
    except:
        # ok: bare-except-swallow
        warnings.warn("work failed")
        return None


def handled_stderr():
    try:
        return work()
    except:
        # ok: bare-except-swallow
        sys.stderr.write("failed\n")
        return None


def silent_is_other_rule():
    try:
        return work()
    except:
        # ok: bare-except-swallow
        pass


def narrow():
    try:
        return work()
    except KeyError:
        # ok: bare-except-swallow
        return None
