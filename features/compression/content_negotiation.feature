Feature: Content negotiation with Accept-Encoding
  The client says which content codings it can decode, each with an optional weight (its
  qvalue, 0 to 1, three decimals at most); the server sends the acceptable coding with the
  highest weight, and among equal weights the one it prefers (RFC 9110 section 12.5.3).
  Our server prefers br, then zstd, gzip, deflate, and identity (no coding) last.

  The rules, with what we do in the cases the RFC leaves open:
  - A weight of 0 means "not acceptable": `gzip;q=0, br` forbids gzip.
  - `*` stands for every coding not listed by name.
  - identity, when the header names neither it nor `*`, is acceptable "by default" (the RFC
    gives it no weight): we rank it below every listed coding, so `gzip;q=0.5` gets gzip.
  - identity is acceptable unless the client excludes it, with `identity;q=0` or with `*;q=0`
    and no entry of its own; when it is excluded and nothing else is acceptable, the answer
    is 406 Not Acceptable (RFC 9110 12.5.3 and 15.5.7).
  - No header at all: any coding would do (RFC 9110); we send identity, as nginx and Starlette
    do, because the client never said it can decode anything. An empty header asks for identity.
  - Names are case-insensitive and `x-gzip` means gzip (RFC 9110 8.4.1.3); empty list
    elements are ignored (RFC 9110 5.6.1); an element with a malformed weight (`q=2`, `q=abc`)
    or a parameter other than q is ignored, never an error; a coding listed twice keeps its
    lower weight, so an exclusion is never undone.

  Starlette's GZipMiddleware decides by looking for the substring "gzip" in the header, so it
  sends gzip to a client that said `gzip;q=0`; the last scenario shows it beside ours.

  Rule: The highest weight wins, the server's preference breaks ties, q=0 excludes

    Scenario Outline: The compression server answers Accept-Encoding <header> with <coding>
      When a client asks the compression server for "/corpus/json/4000" with Accept-Encoding <header>
      Then the compression server answers with status <status> and content coding <coding>

      Examples: Preferences and exclusions
        | header                           | status | coding   |
        | "gzip, deflate, br"              | 200    | br       |
        | "gzip, deflate, br, zstd"        | 200    | br       |
        | "gzip"                           | 200    | gzip     |
        | "deflate"                        | 200    | deflate  |
        | "zstd, gzip;q=0.9"               | 200    | zstd     |
        | "gzip;q=1.0, br;q=0.5"           | 200    | gzip     |
        | "gzip;q=0, br"                   | 200    | br       |
        | "gzip;q=0"                       | 200    | identity |
        | "*"                              | 200    | br       |
        | "*;q=0.1, gzip"                  | 200    | gzip     |
        | "br;q=0, zstd;q=0, *"            | 200    | gzip     |
        | "gzip;q=0.5, identity"           | 200    | identity |
        | "gzip;q=0.5"                     | 200    | gzip     |
        | "identity;q=0, gzip"             | 200    | gzip     |
        | "*;q=0"                          | 406    | identity |
        | "identity;q=0"                   | 406    | identity |
        | "*;q=0, identity"                | 200    | identity |
        | "compress, lzma"                 | 200    | identity |

      Examples: No header, an empty one, and malformed ones
        | header                           | status | coding   |
        | (missing)                        | 200    | identity |
        | ""                               | 200    | identity |
        | "GZIP"                           | 200    | gzip     |
        | "x-gzip"                         | 200    | gzip     |
        | ",,gzip,,"                       | 200    | gzip     |
        | "br;q=2, gzip"                   | 200    | gzip     |
        | "br;q=abc, deflate"              | 200    | deflate  |
        | "br;q=0.1234, gzip;q=0.5"        | 200    | gzip     |
        | "br;level=5, zstd"               | 200    | zstd     |
        | "gzip;q=0, gzip"                 | 200    | identity |
        | ";;;, q=1, é"                     | 200    | identity |

  Rule: Every coding the server chooses is one the client can decode

    Scenario: The compressed body decodes for every weight the client may give
      When a client asks the compression server for "/corpus/html/8000" with Accept-Encoding "deflate;q=0.2, zstd;q=0.9, gzip;q=0.9"
      Then the compression server answers with status 200 and content coding zstd
      And the compressed response header "Vary" is "Accept-Encoding"
      And the compressed body decodes to the original

    Scenario: A 406 says which codings the server offers
      When a client asks the compression server for "/api/users" with Accept-Encoding "identity;q=0, compress"
      Then the compression server answers with status 406
      And the compression server's refusal says "this server offers br, zstd, gzip, deflate"

  Rule: Starlette's GZipMiddleware ignores weights; ours honours them

    Scenario Outline: For Accept-Encoding <header> Starlette sends <peer>, we send <ours>
      Given the compression server runs Starlette's GZipMiddleware instead
      When a client asks the compression server for "/corpus/json/4000" with Accept-Encoding <header>
      Then the compression server answers with status 200 and content coding <peer>
      And our compression middleware answers the same request with content coding <ours>

      Examples:
        | header          | peer | ours     |
        | "gzip;q=0, br"  | gzip | br       |
        | "gzip;q=0"      | gzip | identity |
