-- The fleet as a dhall user writes it (builtins only: the Prelude is a network import):
--   FLEET_SIZE=400 dhall-to-json --file fleet.dhall
let size = env:FLEET_SIZE ? 400

let Labels = List { mapKey : Text, mapValue : Text }

let Probe = { grpc : { port : Natural }, initialDelaySeconds : Natural, periodSeconds : Natural }

let probe = \(delay : Natural) -> { grpc = { port = 10000 }, initialDelaySeconds = delay, periodSeconds = 10 } : Probe

-- i <= n, with builtins only
let atMost = \(n : Natural) -> \(i : Natural) -> Natural/isZero (Natural/subtract n i)

let width = if atMost 1000 size then 3 else if atMost 10000 size then 4 else if atMost 100000 size then 5 else 6

let zeros = \(k : Natural) -> Natural/fold k Text (\(t : Text) -> t ++ "0") ""

let digits = \(i : Natural) -> if atMost 9 i then 1 else if atMost 99 i then 2 else if atMost 999 i then 3 else if atMost 9999 i then 4 else if atMost 99999 i then 5 else 6

let pad = \(i : Natural) -> zeros (Natural/subtract (digits i) width) ++ Natural/show i

let Port = { name : Text, port : Natural, targetPort : Text }

let Object =
      < Deployment :
          { apiVersion : Text
          , kind : Text
          , metadata : { name : Text, namespace : Text, labels : Labels }
          , spec :
              { replicas : Natural
              , selector : { matchLabels : Labels }
              , template :
                  { metadata : { labels : Labels }
                  , spec :
                      { automountServiceAccountToken : Bool
                      , securityContext : { runAsNonRoot : Bool, runAsUser : Natural, seccompProfile : { type : Text } }
                      , containers :
                          List
                            { name : Text
                            , image : Text
                            , ports : List { name : Text, containerPort : Natural }
                            , livenessProbe : Probe
                            , readinessProbe : Probe
                            , resources : { requests : { cpu : Text, memory : Text }, limits : { memory : Text } }
                            , securityContext :
                                { allowPrivilegeEscalation : Bool, readOnlyRootFilesystem : Bool, capabilities : { drop : List Text } }
                            }
                      }
                  }
              }
          }
      | Service :
          { apiVersion : Text
          , kind : Text
          , metadata : { name : Text, namespace : Text, labels : Labels }
          , spec : { type : Text, selector : Labels, ports : List Port }
          }
      >

let service =
      \(name : Text) ->
        let labels = toMap { `app.kubernetes.io/name` = "whoami", `app.kubernetes.io/instance` = name }

        in  [ Object.Deployment
                { apiVersion = "apps/v1"
                , kind = "Deployment"
                , metadata = { name, namespace = "fleet", labels }
                , spec =
                  { replicas = 1
                  , selector.matchLabels = labels
                  , template =
                    { metadata.labels = labels
                    , spec =
                      { automountServiceAccountToken = False
                      , securityContext = { runAsNonRoot = True, runAsUser = 65532, seccompProfile.type = "RuntimeDefault" }
                      , containers =
                        [ { name = "server"
                          , image = "gcr.io/bench/grpc-server:1.0.0"
                          , ports = [ { name = "grpc", containerPort = 10000 } ]
                          , livenessProbe = probe 10
                          , readinessProbe = probe 2
                          , resources = { requests = { cpu = "50m", memory = "64Mi" }, limits.memory = "128Mi" }
                          , securityContext =
                            { allowPrivilegeEscalation = False, readOnlyRootFilesystem = True, capabilities.drop = [ "ALL" ] }
                          }
                        ]
                      }
                    }
                  }
                }
            , Object.Service
                { apiVersion = "v1"
                , kind = "Service"
                , metadata = { name, namespace = "fleet", labels }
                , spec = { type = "LoadBalancer", selector = labels, ports = [ { name = "grpc", port = 10000, targetPort = "grpc" } ] }
                }
            ]

let Count = { i : Natural, acc : List Natural }

let indices =
      ( Natural/fold
          size
          Count
          (\(s : Count) -> { i = Natural/subtract 1 s.i, acc = [ Natural/subtract 1 s.i ] # s.acc })
          { i = size, acc = [] : List Natural }
      ).acc

in  List/fold Natural indices (List Object) (\(i : Natural) -> \(rest : List Object) -> service ("service-" ++ pad i) # rest) ([] : List Object)
