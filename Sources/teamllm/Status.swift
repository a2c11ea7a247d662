import ArgumentParser
import Foundation
import TeamLLM

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a run's state counts, spend and what is left.")
    @Argument(help: "Run id or run folder.") var run: String
    @OptionGroup var paths: Paths

    func run() async throws {
        do { print(try RunStatus.read(paths.run(run)).render(), terminator: "") }
        catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}
