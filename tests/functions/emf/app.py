import json
import time


def handler(event, context):
    if event.get("emf"):
        print(
            json.dumps(
                {
                    "_aws": {
                        "Timestamp": int(time.time() * 1000),
                        "CloudWatchMetrics": [
                            {
                                "Namespace": "ShopApp",
                                "Dimensions": [["service"]],
                                "Metrics": [
                                    {"Name": "Orders", "Unit": "Count", "StorageResolution": 60}
                                ],
                            }
                        ],
                    },
                    "service": "checkout",
                    "Orders": [1, 2, 3],
                }
            )
        )
    if event.get("bad_emf"):
        print('{"_aws": {"CloudWatchMetrics": [{"Namespace": "ShopApp", "Metrics": []}]}}')
    if event.get("fail"):
        raise RuntimeError("fail")
    return "ok"
