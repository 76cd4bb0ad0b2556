import json
from importlib.metadata import version

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    metrics.add_metric(name="HelloWorldInvocations", unit=MetricUnit.Count, value=1)
    logger.info("Hello world", extra={"path": event.get("path")})
    return {
        "statusCode": 200,
        "body": json.dumps(
            {
                "message": "hello world",
                "function": context.function_name,
                "powertools": version("aws-lambda-powertools"),
            }
        ),
    }
