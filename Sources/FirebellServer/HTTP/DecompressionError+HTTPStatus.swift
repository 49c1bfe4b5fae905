import FirebellCompression

extension DecompressionError {
    /// The status the server answers with: an encoding Firebell does not
    /// decode → 415, a body past `max_body` once decompressed → 413, a body
    /// that is not a valid, complete stream of its encoding → 400.
    public var httpStatus: Int {
        switch self {
        case .unsupported: 415
        case .tooLarge: 413
        case .corrupt: 400
        }
    }
}
