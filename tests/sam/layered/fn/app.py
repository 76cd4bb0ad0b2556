def handler(event, context):
    try:
        from common_lib import shout
    except ImportError as exc:
        return {"layer": None, "error": str(exc)}
    return {"layer": shout("from the layer")}
