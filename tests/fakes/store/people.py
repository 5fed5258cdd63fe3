"""The in-memory people of the store fake (same contract as storage/dynamo/people.py)."""

from __future__ import annotations

from oncall.models import (
    ApiToken,
    Team,
    User,
)
from oncall.storage.protocols import (
    ReferencedSinceError,
)
from tests.fakes.store.table import FakeTable


class FakePeople(FakeTable):
    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, User] = {}
        self.teams: dict[str, Team] = {}
        self.reference_epochs: dict[str, int] = {}
        self.api_tokens: dict[str, ApiToken] = {}

    def put_user(self, user: User) -> None:
        self.users[user.id] = user

    def get_user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def list_users(self) -> list[User]:
        return sorted(self.users.values(), key=lambda u: (u.username, u.id))

    def delete_user(self, user_id: str) -> None:
        self.users.pop(user_id, None)

    def put_team(self, team: Team) -> None:
        self.teams[team.id] = team

    def get_team(self, team_id: str) -> Team | None:
        return self.teams.get(team_id)

    def list_teams(self) -> list[Team]:
        return sorted(self.teams.values(), key=lambda t: (t.name, t.id))

    def delete_team(self, team_id: str) -> None:
        self.teams.pop(team_id, None)

    def save_user(self, user: User) -> None:
        with self._lock:
            self._reference([], list(dict.fromkeys(user.team_ids)))
            self.users[user.id] = user

    def reference_epoch(self, item_id: str) -> int:
        return self.reference_epochs.get(item_id, 0)

    def _delete_unreferenced(self, items: dict, item_id: str, epoch: int) -> None:
        with self._lock:
            if self.reference_epochs.get(item_id, 0) != epoch:
                raise ReferencedSinceError(item_id)
            items.pop(item_id, None)
            self.reference_epochs.pop(item_id, None)

    def delete_user_unreferenced(self, user_id: str, epoch: int) -> None:
        self._delete_unreferenced(self.users, user_id, epoch)

    def delete_team_unreferenced(self, team_id: str, epoch: int) -> None:
        self._delete_unreferenced(self.teams, team_id, epoch)

    def put_api_token(self, token: ApiToken) -> None:
        self.api_tokens[token.digest] = token

    def get_api_token(self, digest: str) -> ApiToken | None:
        return self.api_tokens.get(digest)

    def list_api_tokens(self) -> list[ApiToken]:
        return sorted(self.api_tokens.values(), key=lambda t: (t.created_at, t.id))

    def delete_api_token(self, token_id: str) -> ApiToken | None:
        with self._lock:
            for digest, token in list(self.api_tokens.items()):
                if token.id == token_id:
                    return self.api_tokens.pop(digest)
        return None
