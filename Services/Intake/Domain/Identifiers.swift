/// Checks of the identity numbers applicants present.
enum IdentityNumber {
    /// A resident identity card number (GB 11643-1999): 17 digits and a check character (0–9 or X)
    /// computed with ISO 7064 MOD 11-2, with a plausible birth date.
    static func isValidResidentId(_ text: String) -> Bool {
        let characters = Array(text.uppercased())
        guard characters.count == 18, characters.prefix(17).allSatisfy(\.isASCII), characters.prefix(17).allSatisfy(\.isNumber) else { return false }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(characters.prefix(17), weights).reduce(0) { $0 + ($1.0.wholeNumberValue ?? 0) * $1.1 }
        let checks: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]
        guard characters[17] == checks[sum % 11] else { return false }
        let number = { (range: Range<Int>) in characters[range].reduce(0) { $0 * 10 + ($1.wholeNumberValue ?? 0) } }
        let year = number(6..<10), month = number(10..<12), day = number(12..<14)
        return (1900...2100).contains(year) && (1...12).contains(month) && (1...31).contains(day)
    }

    /// A unified social credit code of an organisation (GB 32100-2015): 18 characters from the
    /// code alphabet with a MOD 31 check character.
    static func isValidCreditCode(_ text: String) -> Bool {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        let characters = Array(text.uppercased())
        guard characters.count == 18 else { return false }
        var values: [Int] = []
        for character in characters {
            guard let index = alphabet.firstIndex(of: character) else { return false }
            values.append(index)
        }
        let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
        let sum = zip(values.prefix(17), weights).reduce(0) { $0 + $1.0 * $1.1 }
        let check = (31 - sum % 31) % 31
        return values[17] == check
    }
}
