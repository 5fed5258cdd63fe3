"""Users, teams, their reference epochs (REFS#) and API tokens (see docs/storage.md)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from oncall.models import (
    ApiToken,
    Team,
    User,
)
from oncall.storage.dynamo.table import (
    DynamoTable,
    cancellation_codes,
    item_key,
    load_model,
)
from oncall.storage.protocols import (
    ReferencedSinceError,
)


class DynamoPeople(DynamoTable):
    """Users and teams (with referential integrity through REFS# epochs), API tokens."""

    def put_user(self, user: User) -> None:
        self._put_config("USER", user, user.id)

    def get_user(self, user_id: str) -> User | None:
        return load_model(User, self._get("CFG#USER", user_id))

    def list_users(self) -> list[User]:
        return sorted(self._list_config("USER", User), key=lambda u: (u.username, u.id))

    def delete_user(self, user_id: str) -> None:
        self._delete_config("USER", user_id)

    def put_team(self, team: Team) -> None:
        self._put_config("TEAM", team, team.id)

    def get_team(self, team_id: str) -> Team | None:
        return load_model(Team, self._get("CFG#TEAM", team_id))

    def list_teams(self) -> list[Team]:
        return sorted(self._list_config("TEAM", Team), key=lambda t: (t.name, t.id))

    def delete_team(self, team_id: str) -> None:
        self._delete_config("TEAM", team_id)

    def save_user(self, user: User) -> None:
        teams = [("TEAM", t) for t in dict.fromkeys(user.team_ids)]
        self._save_referencing("USER", user, user.id, teams)

    def reference_epoch(self, item_id: str) -> int:
        item = self._get(f"REFS#{item_id}", "REFS")
        return int(item["epoch"]["N"]) if item and "epoch" in item else 0

    def _delete_unreferenced(self, kind: str, item_id: str, epoch: int) -> None:
        unchanged: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(epoch)"}
            if epoch == 0
            else {"ConditionExpression": "epoch = :e", "ExpressionAttributeValues": {":e": {"N": str(epoch)}}}
        )
        try:
            self._ddb.transact_write_items(
                TransactItems=[
                    {"Delete": {"TableName": self._table, "Key": item_key(f"CFG#{kind}", item_id)}},
                    {"Delete": {"TableName": self._table, "Key": item_key(f"REFS#{item_id}", "REFS"), **unchanged}},
                ]
            )
        except ClientError as error:
            if "ConditionalCheckFailed" in cancellation_codes(error):
                raise ReferencedSinceError(item_id) from error
            raise

    def delete_user_unreferenced(self, user_id: str, epoch: int) -> None:
        self._delete_unreferenced("USER", user_id, epoch)

    def delete_team_unreferenced(self, team_id: str, epoch: int) -> None:
        self._delete_unreferenced("TEAM", team_id, epoch)

    def put_api_token(self, token: ApiToken) -> None:
        self._put_config("APITOKEN", token, token.digest)

    def get_api_token(self, digest: str) -> ApiToken | None:
        return load_model(ApiToken, self._get("CFG#APITOKEN", digest))

    def list_api_tokens(self) -> list[ApiToken]:
        return sorted(self._list_config("APITOKEN", ApiToken), key=lambda t: (t.created_at, t.id))

    def delete_api_token(self, token_id: str) -> ApiToken | None:
        for token in self.list_api_tokens():
            if token.id == token_id:
                self._ddb.delete_item(TableName=self._table, Key=item_key("CFG#APITOKEN", token.digest))
                return token
        return None
