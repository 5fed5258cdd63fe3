"""The in-memory configuration of the store fake (same contract as storage/dynamo/configuration.py)."""

from __future__ import annotations

from oncall.models import (
    DeploymentSettings,
    EscalationChain,
    EscalationStep,
    Integration,
    Route,
)
from oncall.storage.protocols import (
    IntegrationTokenTakenError,
    StoreConflictError,
)
from tests.fakes.store.table import FakeTable


class FakeConfiguration(FakeTable):
    def __init__(self) -> None:
        super().__init__()
        self.integrations: dict[str, Integration] = {}
        self.tokens: dict[str, str] = {}
        self.routes: dict[str, Route] = {}
        self.chains: dict[str, EscalationChain] = {}
        self.steps: dict[str, EscalationStep] = {}
        self.settings = DeploymentSettings()

    def create_integration(self, integration: Integration, default_route: Route) -> None:
        with self._lock:
            if integration.token in self.tokens:
                raise IntegrationTokenTakenError(integration.id)
            self.integrations[integration.id] = integration
            self.tokens[integration.token] = integration.id
            self.routes[default_route.id] = default_route

    def get_integration(self, integration_id: str) -> Integration | None:
        return self.integrations.get(integration_id)

    def find_integration_by_token(self, token: str) -> Integration | None:
        integration_id = self.tokens.get(token)
        return self.integrations.get(integration_id) if integration_id else None

    def list_integrations(self) -> list[Integration]:
        return sorted(self.integrations.values(), key=lambda i: (i.created_at, i.id))

    def put_integration(self, integration: Integration) -> None:
        with self._lock:
            if integration.id not in self.integrations:
                raise StoreConflictError(integration.id)
            self.integrations[integration.id] = integration

    def suspend_templates(self, integration_id: str, until) -> None:
        with self._lock:
            if integration_id in self.integrations:
                current = self.integrations[integration_id]
                self.integrations[integration_id] = current.model_copy(update={"templates_suspended_until": until})

    def delete_integration(self, integration_id: str) -> None:
        with self._lock:
            integration = self.integrations.pop(integration_id, None)
            if integration is not None:
                self.tokens.pop(integration.token, None)
            self.routes = {k: r for k, r in self.routes.items() if r.integration_id != integration_id}
            self.heartbeats.pop(integration_id, None)

    def put_route(self, route: Route) -> None:
        self.routes[route.id] = route

    def write_routes(self, routes: list[Route], delete_ids: tuple[str, ...] = ()) -> None:
        with self._lock:
            for route in routes:
                self.routes[route.id] = route
            for route_id in delete_ids:
                self.routes.pop(route_id, None)

    def get_route(self, route_id: str) -> Route | None:
        return self.routes.get(route_id)

    def list_routes(self) -> list[Route]:
        return list(self.routes.values())

    def put_chain(self, chain: EscalationChain) -> None:
        self.chains[chain.id] = chain

    def get_chain(self, chain_id: str) -> EscalationChain | None:
        return self.chains.get(chain_id)

    def list_chains(self) -> list[EscalationChain]:
        return sorted(self.chains.values(), key=lambda c: (c.created_at, c.id))

    def delete_chain(self, chain_id: str) -> None:
        with self._lock:
            for route in list(self.routes.values()):
                if route.escalation_chain_id == chain_id:
                    self.routes[route.id] = route.model_copy(update={"escalation_chain_id": None})
            self.steps = {k: s for k, s in self.steps.items() if s.escalation_chain_id != chain_id}
            self.chains.pop(chain_id, None)

    def put_step(self, step: EscalationStep) -> None:
        self.steps[step.id] = step

    def get_step(self, step_id: str) -> EscalationStep | None:
        return self.steps.get(step_id)

    def list_steps(self) -> list[EscalationStep]:
        return list(self.steps.values())

    def delete_step(self, step_id: str) -> None:
        self.steps.pop(step_id, None)

    def get_deployment_settings(self) -> DeploymentSettings:
        return self.settings

    def put_deployment_settings(self, settings: DeploymentSettings) -> None:
        self.settings = settings
