import Foundation
import HallContracts
import HallKit
import HallWeb
import Hummingbird

extension SealService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8083

    /// The service's schema, topics, consumers and routes, with its master key.
    ///
    /// `clock` is the sealing clock (tests pass a fixed one); the imprint time it gives is the
    /// legal completion time (Art 31).
    static func definition(_ configuration: SealSettings, clock: @escaping @Sendable () -> Date = { Date() }) -> HallServiceDefinition {
        HallServiceDefinition(
            name: .seal,
            defaultPort: defaultPort,
            migrations: SealMigrations.all,
            consumers: { runtime in
                [SealConsumer.definition(store: SealStore(schema: runtime.outbox.schema, vault: configuration.vault), clock: clock)]
            },
            routes: { router, runtime in
                addRoutes(to: router, repository: repository(runtime, configuration, clock: clock))
                let web = WebPages.add(
                    to: router, serviceTitle: "印章验证", templates: Bundle.module.url(forResource: "Templates", withExtension: nil),
                    settings: configuration.web, authority: runtime.authority,
                    names: DirectoryNames(client: runtime.client, schema: runtime.outbox.schema, logger: runtime.logger))
                router.addRoutes(SealPages(web: web, repository: repository(runtime, configuration, clock: clock)).routes)
                router.addRoutes(SealCentrePages(web: web, repository: repository(runtime, configuration, clock: clock)).routes)
            },
            services: { runtime in
                let repository = repository(runtime, configuration, clock: clock)
                return [
                    // At least once a minute every active seal's register head is published and kept.
                    PollingService(
                        name: "register heads", gate: runtime.gate, interval: configuration.headInterval, idleMax: configuration.headInterval,
                        batch: Int.max, logger: runtime.logger, counter: "hall_seal_register_heads_published_total"
                    ) { try await repository.publishDueHeads(now: clock(), interval: configuration.headInterval) }
                ]
            },
            openAPI: SealOpenAPI.document,
            appendOnlyTables: SealMigrations.appendOnlyTables
        )
    }

    static func repository(_ runtime: ServiceRuntime, _ configuration: SealSettings, clock: @escaping @Sendable () -> Date) -> PostgresSealRepository {
        PostgresSealRepository(
            client: runtime.client, schema: runtime.outbox.schema, vault: configuration.vault, logger: runtime.logger, clock: clock,
            sealingLanes: configuration.lanes)
    }

    /// The seal's controllers: the seals, seal requests and public verification.
    static func addRoutes(to router: Router<HallRequestContext>, repository: some SealRepository) {
        router.addRoutes(SealsController(repository: repository).routes)
        router.addRoutes(SealRequestsController(repository: repository).routes)
        router.addRoutes(VerificationController(repository: repository).routes)
    }
}
