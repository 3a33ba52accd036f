import HallKit

/// The coordinator service: back-office routing, parallel approval and the working-day clock.
///
/// Boots through the shared runtime: checks librdkafka, reads its configuration from the
/// environment, migrates schema `coordinator`, creates its topics, then serves HTTP and relays its
/// outbox until SIGTERM or SIGINT.
@main
struct CoordinatorService {
    static func main() async {
        await HallServiceMain.run(CoordinatorService.definition)
    }
}
