"""The deployment's two keys (the first admin API token, the action-link signing key) as SSM Parameter Store
SecureString parameters, and the CloudFormation custom resource that creates them.

Why SSM and not Secrets Manager: a standard-tier parameter encrypted with the AWS-managed key aws/ssm costs
nothing a month, where a secret costs $0.40 (decision 0074). CloudFormation cannot create a SecureString
itself, so the template declares one `Custom::SecureParameter` per key, served by functions/secure_parameter:

- Create writes a fresh random value (`secrets`, alphanumeric) with Overwrite=False. A parameter that already
  exists is adopted as it is: an operator may put their own value before the first deploy, and a failed
  deploy retried does not change a key links were already signed with.
- Update with the same name changes nothing (the value is never in the template); a new name creates the new
  parameter and CloudFormation then deletes the old one.
- Delete removes the parameter (a parameter already gone is fine).

The value never leaves SSM: nothing of it is returned to CloudFormation (no Data; the physical id is the
parameter's name). The functions read it with Powertools' SSMProvider (oncall.wiring), scoped by IAM to
exactly these parameters."""

from __future__ import annotations

import json
import secrets
import string
import urllib.request
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from oncall.platform import aws

ALPHABET = string.ascii_letters + string.digits
DEFAULT_LENGTH = 48
FAILED_PREFIX = "not-created-"  # the physical id of a resource whose Create failed: Delete leaves SSM alone


class SecureParameterProperties(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    name: str = Field(alias="Name", pattern=r"^/[A-Za-z0-9_.\-/]{1,1010}$")
    length: int = Field(default=DEFAULT_LENGTH, alias="Length", ge=32, le=256)
    description: str = Field(default="", alias="Description", max_length=1024)


class CustomResourceEvent(BaseModel):
    """What CloudFormation sends a custom resource (the fields this one uses)."""

    model_config = ConfigDict(extra="ignore")

    RequestType: Literal["Create", "Update", "Delete"]
    ResponseURL: str
    StackId: str
    RequestId: str
    LogicalResourceId: str
    PhysicalResourceId: str = ""
    ResourceProperties: dict[str, Any] = Field(default_factory=dict)


def random_value(length: int = DEFAULT_LENGTH) -> str:
    """Letters and digits only: a token that survives shells, headers and URLs without quoting."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _create(ssm: Any, props: SecureParameterProperties) -> None:
    try:
        ssm.put_parameter(
            Name=props.name,
            Description=props.description,
            Value=random_value(props.length),
            Type="SecureString",  # the AWS-managed key aws/ssm: no key to pay for or to grant
            Tier="Standard",
            Overwrite=False,
        )
    except aws.AWS_ERRORS as error:
        if aws.error_code(error) != "ParameterAlreadyExists":
            raise


def _delete(ssm: Any, name: str) -> None:
    if not name.startswith("/"):  # a Create that failed: nothing of ours to remove
        return
    try:
        ssm.delete_parameter(Name=name)
    except aws.AWS_ERRORS as error:
        if aws.error_code(error) != "ParameterNotFound":
            raise


def apply(event: CustomResourceEvent, ssm: Any) -> str:
    """Carry out the request; answers the physical resource id (the parameter's name)."""
    if event.RequestType == "Delete":
        _delete(ssm, event.PhysicalResourceId)
        return event.PhysicalResourceId
    props = SecureParameterProperties.model_validate(event.ResourceProperties)
    if event.RequestType == "Create" or props.name != event.PhysicalResourceId:
        _create(ssm, props)
    return props.name


def respond_to_cloudformation(url: str, body: dict[str, Any]) -> None:
    """PUT the result to CloudFormation's presigned S3 URL (Content-Type must be empty: it is signed)."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is CloudFormation's presigned https URL
        url, data=data, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(data))}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()


def handle(
    raw: dict[str, Any],
    ssm: Any,
    *,
    respond: Callable[[str, dict[str, Any]], None] = respond_to_cloudformation,
    on_error: Callable[[Exception], None] = lambda _error: None,
) -> dict[str, Any]:
    """Apply the request and always answer CloudFormation (without an answer the stack waits an hour)."""
    event = CustomResourceEvent.model_validate(raw)
    body: dict[str, Any] = {
        "StackId": event.StackId,
        "RequestId": event.RequestId,
        "LogicalResourceId": event.LogicalResourceId,
    }
    try:
        body |= {"Status": "SUCCESS", "PhysicalResourceId": apply(event, ssm)}
    except Exception as error:  # noqa: BLE001 - any failure must still be reported to CloudFormation
        on_error(error)
        physical = event.PhysicalResourceId or f"{FAILED_PREFIX}{event.RequestId}"
        body |= {"Status": "FAILED", "PhysicalResourceId": physical, "Reason": f"{type(error).__name__}: {error}"[:500]}
    respond(event.ResponseURL, body)
    return body
