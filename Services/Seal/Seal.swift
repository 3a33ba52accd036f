import Foundation
import HallKit

/// The seal service: each department's approval-specific seal, its register and public verification.
///
/// Boots through the shared runtime: checks librdkafka, reads its configuration from the
/// environment (plus `HALL_SEAL_MASTER_KEY`, see ``SealSettings``), migrates schema `seal`,
/// creates its topics, then serves HTTP, consumes the directory and seal requests, and relays its
/// outbox until SIGTERM or SIGINT.
///
/// Commands: `seal verify-register [SEAL-ID…]` re-verifies registers (all seals when none given)
/// and exits 0 when intact, 2 when one is broken. (`hallbench --seal` measures this executable.)
@main
struct SealService {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "verify-register": exit(await SealCommands.verifyRegister(Array(arguments.dropFirst())))
        default: break
        }
        await HallServiceMain.run(.seal) { SealService.definition(try SealSettings()) }
    }
}
