"""The input fields of each JSON-protocol operation snaplambda serves, with the types
and ranges of botocore's models (CloudWatch Logs 2014-03-28, CloudWatch 2010-08-01,
Application Auto Scaling 2016-02-06), checked by :func:`.fields.check_fields` before
the operation runs.

Every top-level member of each operation's input is listed, those snaplambda ignores
too, so a wrong type is refused as AWS refuses it.  Patterns and enums are left to
the operations (they name what snaplambda supports).
"""

from __future__ import annotations

from collections.abc import Mapping

from .fields import EPOCH_MS, EPOCH_S, Bool, Int, List, MapOf, Num, Obj, Spec, Str

Schema = Mapping[str, Spec]

#: botocore's ``integer`` (32 bits); ``long`` is :func:`.fields.Int`'s default.
_INT32 = Int(-(1 << 31), (1 << 31) - 1)
_GROUP = Str(1, 512)
_GROUP_ID = Str(1, 2048)
_STREAM = Str(1, 512)
_TOKEN = Str(1)

LOGS: Mapping[str, Schema] = {
    "FilterLogEvents": {
        "logGroupName": _GROUP,
        "logGroupIdentifier": _GROUP_ID,
        "logStreamNames": List(_STREAM, max_items=100),
        "logStreamNamePrefix": _STREAM,
        "startTime": EPOCH_MS,
        "endTime": EPOCH_MS,
        "filterPattern": Str(0, 1024),
        "nextToken": _TOKEN,
        "limit": Int(1, 10000),
        "startFromHead": Bool(),
        "interleaved": Bool(),
        "unmask": Bool(),
    },
    "GetLogEvents": {
        "logGroupName": _GROUP,
        "logGroupIdentifier": _GROUP_ID,
        "logStreamName": _STREAM,
        "startTime": EPOCH_MS,
        "endTime": EPOCH_MS,
        "nextToken": _TOKEN,
        "limit": Int(1, 10000),
        "startFromHead": Bool(),
        "unmask": Bool(),
    },
    "DescribeLogStreams": {
        "logGroupName": _GROUP,
        "logGroupIdentifier": _GROUP_ID,
        "logStreamNamePrefix": _STREAM,
        "orderBy": Str(),
        "descending": Bool(),
        "nextToken": _TOKEN,
        "limit": Int(1, 50),
    },
    "DescribeLogGroups": {
        "accountIdentifiers": List(Str(12, 12), max_items=20),
        "logGroupNamePrefix": _GROUP,
        "logGroupNamePattern": Str(0, 512),
        "nextToken": _TOKEN,
        "limit": Int(1, 50),
        "includeLinkedAccounts": Bool(),
        "logGroupClass": Str(),
        "logGroupIdentifiers": List(_GROUP_ID, max_items=50),
    },
    "PutRetentionPolicy": {"logGroupName": _GROUP, "retentionInDays": _INT32},
    "DeleteRetentionPolicy": {"logGroupName": _GROUP},
}

_DIMENSION = Obj({"Name": Str(1, 255), "Value": Str(1, 1024)})
_METRIC = Obj(
    {"Namespace": Str(1, 255), "MetricName": Str(1, 255), "Dimensions": List(_DIMENSION, 30)}
)
_PERIOD = Int(1, (1 << 31) - 1)

CLOUDWATCH: Mapping[str, Schema] = {
    "GetMetricStatistics": {
        "Namespace": Str(1, 255),
        "MetricName": Str(1, 255),
        "Dimensions": List(_DIMENSION, max_items=30),
        "StartTime": EPOCH_S,
        "EndTime": EPOCH_S,
        "Period": _PERIOD,
        "Statistics": List(Str(), max_items=5),
        "ExtendedStatistics": List(Str(), max_items=10),
        "Unit": Str(),
    },
    "GetMetricData": {
        "MetricDataQueries": List(
            Obj(
                {
                    "Id": Str(1, 255),
                    "MetricStat": Obj(
                        {"Metric": _METRIC, "Period": _PERIOD, "Stat": Str(), "Unit": Str()}
                    ),
                    "Expression": Str(1, 2048),
                    "Label": Str(),
                    "ReturnData": Bool(),
                    "Period": _PERIOD,
                    "AccountId": Str(1, 255),
                }
            ),
            max_items=500,
        ),
        "StartTime": EPOCH_S,
        "EndTime": EPOCH_S,
        "NextToken": Str(),
        "ScanBy": Str(),
        "MaxDatapoints": _INT32,
        "LabelOptions": Obj({"Timezone": Str()}),
    },
    "ListMetrics": {
        "Namespace": Str(1, 255),
        "MetricName": Str(1, 255),
        "Dimensions": List(Obj({"Name": Str(1, 255), "Value": Str(1, 1024)}), max_items=10),
        "NextToken": Str(),
        "RecentlyActive": Str(),
        "IncludeLinkedAccounts": Bool(),
        "OwningAccount": Str(1, 255),
    },
}

_ID = Str(1, 1600)
_CAPACITY = _INT32
_TARGET = {"ServiceNamespace": Str(), "ResourceId": _ID, "ScalableDimension": Str()}
_LISTING = {"MaxResults": _INT32, "NextToken": Str()}
_COOLDOWN = _INT32

AUTOSCALING: Mapping[str, Schema] = {
    "RegisterScalableTarget": {
        **_TARGET,
        "MinCapacity": _CAPACITY,
        "MaxCapacity": _CAPACITY,
        "RoleARN": _ID,
        "SuspendedState": Obj(
            {
                "DynamicScalingInSuspended": Bool(),
                "DynamicScalingOutSuspended": Bool(),
                "ScheduledScalingSuspended": Bool(),
            }
        ),
        "Tags": MapOf(Str(0, 256)),
    },
    "DeregisterScalableTarget": _TARGET,
    "DescribeScalableTargets": {
        **_TARGET,
        "ResourceIds": List(_ID, max_items=50),
        **_LISTING,
    },
    "PutScheduledAction": {
        **_TARGET,
        "Schedule": _ID,
        "Timezone": _ID,
        "ScheduledActionName": Str(1, 256),
        "StartTime": EPOCH_S,
        "EndTime": EPOCH_S,
        "ScalableTargetAction": Obj({"MinCapacity": _CAPACITY, "MaxCapacity": _CAPACITY}),
    },
    "DeleteScheduledAction": {**_TARGET, "ScheduledActionName": _ID},
    "DescribeScheduledActions": {
        **_TARGET,
        "ScheduledActionNames": List(_ID, max_items=50),
        **_LISTING,
    },
    "PutScalingPolicy": {
        **_TARGET,
        "PolicyName": Str(1, 256),
        "PolicyType": Str(),
        "StepScalingPolicyConfiguration": Obj(),
        "TargetTrackingScalingPolicyConfiguration": Obj(
            {
                "TargetValue": Num(-1.7976931348623157e308, 1.7976931348623157e308, False),
                "PredefinedMetricSpecification": Obj(
                    {"PredefinedMetricType": Str(), "ResourceLabel": Str(1, 1023)}
                ),
                "CustomizedMetricSpecification": Obj(),
                "ScaleOutCooldown": _COOLDOWN,
                "ScaleInCooldown": _COOLDOWN,
                "DisableScaleIn": Bool(),
            }
        ),
        "PredictiveScalingPolicyConfiguration": Obj(),
    },
    "DeleteScalingPolicy": {**_TARGET, "PolicyName": _ID},
    "DescribeScalingPolicies": {**_TARGET, "PolicyNames": List(_ID, max_items=50), **_LISTING},
    "DescribeScalingActivities": {**_TARGET, **_LISTING, "IncludeNotScaledActivities": Bool()},
}
