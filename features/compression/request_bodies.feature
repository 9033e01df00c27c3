Feature: Compressed request bodies, decoded within hard limits
  A client may send its request body compressed, labelled with Content-Encoding. The server
  decodes it before the application runs, so the application sees the original bytes and no
  Content-Encoding. Decoding untrusted input needs limits: a few KiB of gzip can expand to
  gigabytes (a "compression bomb"). The server stops as soon as the decoded body passes a hard
  size limit (8 MiB by default) or expands more than 200 times its encoded size (once past
  64 KiB), and answers 413 Content Too Large (RFC 9110 15.5.14) without ever holding more than
  one bounded step beyond the limit. A stream cut short, or with bytes before or after it, is
  answered 400 Bad Request; a coding the server does not read, 415 Unsupported Media Type
  with the codings it does read in Accept-Encoding (RFC 9110 15.5.16).

  Codings may be stacked (`Content-Encoding: gzip, br`), and each layer costs a full decode:
  150 gzip layers in a 7 MiB body cost seconds of CPU. The server undoes at most 5 layers, the
  cap urllib3 keeps (nginx's gunzip undoes one), and refuses more with 415 before reading the
  body. Large or layered bodies are decoded in a worker thread, off the event loop, so other
  requests are answered while a bomb is being decoded and refused; at most 4 are decoded at
  once, so decoding never holds more than 4 times the size limit.

  One limit of the formats themselves: gzip, deflate and zstd frames carry checksums
  (CRC-32, Adler-32, XXH64 when written), but brotli (RFC 7932) has none, so a flipped byte
  inside a br body can decode to wrong bytes without any error. Integrity against corruption
  on the way is the transport's job (TCP, TLS); the decoder only guarantees it never crashes.

  Rule: A compressed body reaches the application decoded

    Scenario Outline: The application receives a <coding> request body decoded
      When a client posts the json sample of 20000 bytes to the compression server encoded as <coding>
      Then the compression server answers with status 200
      And the application received the json sample of 20000 bytes with no Content-Encoding

      Examples:
        | coding  |
        | gzip    |
        | deflate |
        | br      |
        | zstd    |

    Scenario Outline: The application receives a described <shape> <kind> body sent as <coding> decoded
      Given the payloads:
        | name   | kind   | size   | shape   |
        | upload | <kind> | <size> | <shape> |
      When a client posts the payload "upload" to the compression server encoded as <coding>
      Then the compression server answers with status 200
      And the application received the payload "upload" with no Content-Encoding

      Examples:
        | kind | size   | shape  | coding  |
        | json | 150000 | pretty | zstd    |
        | json | 4000   | pretty | br      |
        | html | 30000  | table  | deflate |

  Rule: A compression bomb is refused with 413 before it fills memory

    Scenario Outline: <size> MiB of zeros sent as <coding> are refused
      When a client posts <size> MiB of zeros to the compression server encoded as <coding>
      Then the compression server answers with status 413
      And the compression server's refusal says "<reason>"

      Examples:
        | size | coding  | reason                          |
        | 32   | gzip    | decodes to more than 8388608    |
        | 32   | deflate | decodes to more than 8388608    |
        | 32   | br      | limit 200x                      |
        | 32   | zstd    | limit 200x                      |

  Rule: A damaged or unknown body is refused, never half-read

    Scenario Outline: A <coding> body <damage> is refused with 400
      When a client posts the json sample of 20000 bytes to the compression server encoded as <coding> but <damage>
      Then the compression server answers with status 400
      And the compression server's refusal says "corrupt <coding> body"

      Examples:
        | coding  | damage              |
        | gzip    | cut short           |
        | deflate | cut short           |
        | br      | cut short           |
        | zstd    | cut short           |
        | gzip    | preceded by garbage |
        | br      | preceded by garbage |
        | zstd    | followed by garbage |
        | deflate | followed by garbage |

    Scenario: A body in a coding the server does not read is refused with 415
      When a client posts a body to the compression server with Content-Encoding "lzma"
      Then the compression server answers with status 415
      And the compressed response header "Accept-Encoding" is "br, zstd, gzip, deflate"
      And the compression server's refusal says "unsupported content coding 'lzma'"

    Scenario: A body with more codings stacked than the server undoes is refused with 415
      When a client posts a body to the compression server with Content-Encoding "gzip, gzip, gzip, gzip, gzip, gzip"
      Then the compression server answers with status 415
      And the compression server's refusal says "Content-Encoding lists 6 codings; at most 5 are decoded"
