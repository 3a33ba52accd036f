import Foundation
import HallKit

/// The coordinator service: back-office routing, parallel approval and the working-day clock.
///
/// Boots through the shared runtime: checks librdkafka, reads its configuration from the
/// environment (plus ``CoordinatorSettings``), migrates schema `coordinator`, creates its topics,
/// then serves HTTP, consumes intake's cases, the seal's results and department commands, fires
/// deadline timers and relays its outbox until SIGTERM or SIGINT. (`hallbench --coordinator`
/// measures this executable.)
@main
struct CoordinatorService {
    static func main() async {
        await HallServiceMain.run(.coordinator) { CoordinatorService.definition(try CoordinatorSettings()) }
    }
}
