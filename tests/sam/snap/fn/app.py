import os


def handler(event, context):
    return {"initializationType": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]}
