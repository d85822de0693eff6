import logging

logger = logging.getLogger(__name__)
log = logging.getLogger("audit")


def login(user, password, api_key, settings):
    # ruleid: secret-in-log
    logger.info("login for %s with password %s", user, password)
    # ruleid: secret-in-log
    logging.debug("key=%s", api_key)
    # ruleid: secret-in-log
    log.warning(f"bad login {user.name} {password}")
    # ruleid: secret-in-log
    logger.error("token: " + settings.access_token)
    # ruleid: secret-in-log
    logger.debug("secret is {}".format(settings.SECRET_KEY))
    # ok: secret-in-log
    logger.info("login for %s", user)
    # ok: secret-in-log
    logger.info("password changed for %s", user.name)
    # ok: secret-in-log
    logger.debug("password length %d", len(password))
    # ok: secret-in-log
    logger.info("api key configured: %s", bool(api_key))


class Client:
    def __init__(self, refresh_token):
        self.refresh_token = refresh_token
        self.logger = logging.getLogger("client")

    def refresh(self):
        # ruleid: secret-in-log
        self.logger.debug("refreshing with %s", self.refresh_token)
        # ok: secret-in-log
        self.logger.debug("refresh failed, token_type=%s", self.token_type)


def lexer(token, tokens):
    # ok: secret-in-log
    logger.debug("unexpected token %r", token)
    # ok: secret-in-log
    logger.debug("%d tokens", len(tokens))


def not_a_logger(parser, password):
    # ok: secret-in-log
    parser.error("missing --password")
    # ok: secret-in-log
    return password
