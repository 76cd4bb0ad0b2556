"""Application Auto Scaling of provisioned concurrency: the API service
(:mod:`.service`), the models it stores (:mod:`.model`), schedules (:mod:`.schedule`),
target tracking (:mod:`.tracking`) and the periodic evaluation (:mod:`.controller`)."""

from .controller import AutoScalingController
from .errors import AutoScalingError
from .service import AutoScalingService

__all__ = ["AutoScalingController", "AutoScalingError", "AutoScalingService"]
