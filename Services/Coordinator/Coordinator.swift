import Foundation
import HallKit

/// The coordinator service: back-office routing, parallel approval and the working-day clock.
///
/// Boots through the shared runtime: checks librdkafka, reads its configuration from the
/// environment (plus ``CoordinatorSettings``), migrates schema `coordinator`, creates its topics,
/// then serves HTTP, consumes intake's cases, the seal's results and department commands, fires
/// deadline timers and relays its outbox until SIGTERM or SIGINT.
///
/// `coordinator bench` measures routing and timer firing against the local stack.
@main
struct CoordinatorService {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "bench" { exit(await CoordinatorBench.run(Array(arguments.dropFirst()))) }
        await HallServiceMain.run(.coordinator) { CoordinatorService.definition(try CoordinatorSettings()) }
    }
}
