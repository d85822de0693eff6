import logging

logger = logging.getLogger(__name__)


def work():
    return 1


def silent():
    try:
        work()
    except:
        # ruleid: silent-except
        pass

    try:
        work()
    except Exception:
        # ruleid: silent-except
        pass

    try:
        work()
    except Exception as exc:
        # ruleid: silent-except
        pass

    try:
        work()
    except ValueError:
        raise
    except BaseException:
        # ruleid: silent-except
        ...

    for _ in range(3):
        try:
            work()
        except Exception:
            # ruleid: silent-except
            continue


def handled():
    try:
        work()
    except KeyError:
        # ok: silent-except
        pass

    try:
        work()
    except Exception:
        logger.exception("work failed")

    try:
        work()
    except Exception:
        # ok: silent-except
        raise

    try:
        work()
    finally:
        # ok: silent-except
        pass

    try:
        work()
    except Exception:
        logger.debug("ignored")
        # ok: silent-except
        pass

    try:
        work()
    except Exception:
        # ok: silent-except
        if logger:
            logger.exception("failed")
            raise
