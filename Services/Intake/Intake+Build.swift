import Foundation
import HallCalendar
import HallContracts
import HallKit
import HallWeb
import Hummingbird
import ServiceLifecycle

extension IntakeService {
    /// Default HTTP port (overridden by `HALL_HTTP_PORT`).
    static let defaultPort = 8081

    /// The service's schema, topics, consumers and routes.
    static func definition(_ settings: IntakeSettings) -> HallServiceDefinition {
        HallServiceDefinition(
            name: .intake,
            defaultPort: defaultPort,
            migrations: IntakeMigrations.all,
            consumers: { runtime in [IntakeConsumer.definition(store(runtime, settings))] },
            routes: { router, runtime in
                addRoutes(to: router, store: store(runtime, settings), calendar: settings.calendar)
                addPages(to: router, store: store(runtime, settings), settings: settings, authority: runtime.authority)
            },
            services: { runtime in
                // A new year's official schedule added to HALL_CALENDAR_DIR: provisional due dates counted again.
                [
                    StartupTaskService(name: "provisional due dates recomputed", gate: runtime.gate, logger: runtime.logger) {
                        try await store(runtime, settings).recomputeProvisionalDueDates()
                    }
                ]
            },
            openAPI: IntakeOpenAPI.document,
            publicLookups: ["/v1/cases/", "/v1/bundles/", "POST /track", "POST /apply-status", "POST /appointments/cancel"]
        )
    }

    /// The intake's controllers: the public guides, calendar and tracking; the centre's directory
    /// and catalogue; the front desk's applications and bundles.
    static func addRoutes(to router: Router<HallRequestContext>, store: IntakeStore, calendar: WorkingCalendar) {
        router.addRoutes(GuidesController(repository: store).routes)
        router.addRoutes(CalendarController(repository: store, calendar: calendar).routes)
        router.addRoutes(TrackingController(repository: store).routes)
        router.addRoutes(DirectoryController(repository: store).routes)
        router.addRoutes(CatalogueController(repository: store).routes)
        router.addRoutes(ApplicationsController(repository: store).routes)
        router.addRoutes(BundlesController(repository: store).routes)
    }

    /// The intake's pages (``IntakePages``), sign-in and assets.
    static func addPages(to router: Router<HallRequestContext>, store: IntakeStore, settings: IntakeSettings, authority: TokenAuthority) {
        let web = WebPages.add(
            to: router, serviceTitle: "综合受理", templates: Bundle.module.url(forResource: "Templates", withExtension: nil), settings: settings.web,
            authority: authority,
            names: DirectoryNames(client: store.client, schema: store.schema, staffKey: "id", departmentKey: "id", logger: store.logger))
        router.addRoutes(IntakePages(
            web: web, store: store, appointments: settings.appointments,
            statusPages: web.settings.statusPageCache > .zero ? PageCache(ttl: web.settings.statusPageCache, capacity: 4_096, minUses: 2) : nil,
            bookings: FailureLimiter(limit: settings.appointments.perAddressPerHour, window: .seconds(3_600), counting: "appointments booked", inWords: "预约"))
            .routes)
        router.addRoutes(IntakeCentrePages(web: web, store: store).routes)
    }

    static func store(_ runtime: ServiceRuntime, _ settings: IntakeSettings) -> IntakeStore {
        IntakeStore(
            client: runtime.client, schema: runtime.configuration.database.schema, calendar: settings.calendar, logger: runtime.logger,
            acceptanceGroup: settings.acceptanceGroup, applicantCheck: settings.applicantCheck)
    }
}
