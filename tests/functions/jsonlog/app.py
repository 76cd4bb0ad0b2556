import logging

log = logging.getLogger("jsonlog")


def handler(event, context):
    log.debug("debug line")
    log.info("info line", extra={"order": 7})
    log.warning("warn line")
    try:
        raise ValueError("bad value")
    except ValueError:
        log.exception("caught it")
    print("plain print")
    if event.get("raise"):
        raise RuntimeError("boom")
    return {"ok": True}
