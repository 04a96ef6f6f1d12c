{{/* Names, labels and the pieces every Wharf container shares. */}}

{{- define "wharf.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "wharf.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The TCP port each service listens on (WHARF_PORT), as in docker-compose.yml. */}}
{{- define "wharf.port" -}}
{{- get (dict "gateway" 5000 "metadata" 5101 "search" 5102 "blob" 5103 "webhooks" 5104 "embedded" 5000) . -}}
{{- end -}}

{{- define "wharf.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wharf.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "wharf.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{ include "wharf.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: wharf
{{- end -}}

{{- define "wharf.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "wharf.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "wharf.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Secret the chart writes (credentials given as values), and where each credential is. */}}
{{- define "wharf.secretName" -}}
{{- include "wharf.fullname" . -}}
{{- end -}}

{{/* The credentials given as values, as a YAML map of the chart's Secret's keys (empty when
every one comes from an existing Secret). */}}
{{- define "wharf.secretData" -}}
{{- $v := .Values }}
{{- $data := dict }}
{{- if and (eq $v.auth.mode "enforced") (not $v.auth.admin.existingSecret) $v.auth.admin.password }}
{{- $_ := set $data $v.auth.admin.passwordKey $v.auth.admin.password }}
{{- end }}
{{- if eq $v.profile "distributed" }}
{{- if and (not $v.mongo.existingSecret) $v.mongo.url }}
{{- $_ := set $data $v.mongo.urlKey $v.mongo.url }}
{{- end }}
{{- if not $v.s3.existingSecret }}
{{- $_ := set $data $v.s3.accessKeyIdKey $v.s3.accessKeyId }}
{{- $_ := set $data $v.s3.secretAccessKeyKey $v.s3.secretAccessKey }}
{{- end }}
{{- if and (eq $v.auth.mode "enforced") (not $v.auth.registryTokens.existingSecret) $v.auth.registryTokens.key }}
{{- $_ := set $data $v.auth.registryTokens.keyKey $v.auth.registryTokens.key }}
{{- end }}
{{- if and $v.webhooks.enabled (not $v.webhooks.existingSecret) $v.webhooks.secretKey }}
{{- $_ := set $data $v.webhooks.secretKeyKey $v.webhooks.secretKey }}
{{- end }}
{{- end }}
{{- toYaml $data -}}
{{- end -}}

{{/* Pods roll when a credential the chart writes changes. */}}
{{- define "wharf.secretChecksum" -}}
{{- include "wharf.secretData" . | sha256sum -}}
{{- end -}}

{{- define "wharf.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ default (include "wharf.secretName" .root) .existingSecret }}
      key: {{ .key }}
{{- end -}}

{{/*
The WHARF_* variables of one service: the settings it needs and no other service's
credentials (search never sees S3 keys; only the gateway holds the admin password).
docker-compose.yml gives each service the same variable names (test/deploy checks it).
*/}}
{{- define "wharf.env" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $c := .component -}}
- name: WHARF_PROFILE
  value: {{ ternary "embedded" "distributed" (eq $c "embedded") }}
- name: WHARF_PORT
  value: {{ include "wharf.port" $c | quote }}
- name: WHARF_LOG_LEVEL
  value: {{ $v.logLevel | quote }}
{{- with $v.tracing.otlpTracesUrl }}
- name: WHARF_OTLP_TRACES_URL
  value: {{ . | quote }}
- name: WHARF_TRACES_SAMPLE_RATIO
  value: {{ $v.tracing.sampleRatio | quote }}
{{- end }}
{{- if ne $c "embedded" }}
- name: WHARF_KAFKA_BROKERS
  value: {{ required "kafka.brokers is required (host:port[,host:port...])" $v.kafka.brokers | quote }}
- name: WHARF_KAFKA_TOPIC_PREFIX
  value: {{ $v.kafka.topicPrefix | quote }}
- name: WHARF_KAFKA_PARTITIONS
  value: {{ $v.kafka.partitions | quote }}
- name: WHARF_KAFKA_REPLICATION_FACTOR
  value: {{ $v.kafka.replicationFactor | quote }}
{{- end }}
{{- if has $c (list "gateway" "metadata" "webhooks") }}
{{- if not $v.mongo.existingSecret }}
{{- $_ := required "mongo.url is required unless mongo.existingSecret is set" $v.mongo.url }}
{{- end }}
{{ include "wharf.secretEnv" (dict "root" $root "name" "WHARF_MONGO_URL" "existingSecret" $v.mongo.existingSecret "key" $v.mongo.urlKey) }}
- name: WHARF_MONGO_DATABASE
  value: {{ $v.mongo.database | quote }}
{{- end }}
{{- if has $c (list "gateway" "blob") }}
- name: WHARF_S3_ENDPOINT
  value: {{ required "s3.endpoint is required" $v.s3.endpoint | quote }}
- name: WHARF_S3_REGION
  value: {{ $v.s3.region | quote }}
- name: WHARF_S3_BUCKET
  value: {{ $v.s3.bucket | quote }}
{{ include "wharf.secretEnv" (dict "root" $root "name" "WHARF_S3_ACCESS_KEY_ID" "existingSecret" $v.s3.existingSecret "key" $v.s3.accessKeyIdKey) }}
{{ include "wharf.secretEnv" (dict "root" $root "name" "WHARF_S3_SECRET_ACCESS_KEY" "existingSecret" $v.s3.existingSecret "key" $v.s3.secretAccessKeyKey) }}
{{- end }}
{{- if eq $c "search" }}
- name: WHARF_OPENSEARCH_URL
  value: {{ required "opensearch.url is required" $v.opensearch.url | quote }}
- name: WHARF_OPENSEARCH_INDEX_PREFIX
  value: {{ $v.opensearch.indexPrefix | quote }}
- name: WHARF_OPENSEARCH_REPLICAS
  value: {{ $v.opensearch.replicas | quote }}
{{- end }}
{{- /* blob: its reference counts; embedded: everything; gateway: a scratch emptyDir (OCI upload
sessions are S3 multipart uploads in the distributed profile, so nothing there outlives a pod). */}}
{{- if has $c (list "blob" "embedded" "gateway") }}
- name: WHARF_DATA_DIR
  value: /var/lib/wharf
{{- end }}
{{- if and $v.webhooks.enabled (has $c (list "gateway" "webhooks")) }}
{{- if not $v.webhooks.existingSecret }}
{{- $_ := required "webhooks.secretKey is required with webhooks.enabled unless webhooks.existingSecret is set (openssl rand -base64 32)" $v.webhooks.secretKey }}
{{- end }}
{{ include "wharf.secretEnv" (dict "root" $root "name" "WHARF_WEBHOOK_SECRET_KEY" "existingSecret" $v.webhooks.existingSecret "key" $v.webhooks.secretKeyKey) }}
{{- end }}
{{- if eq $c "webhooks" }}
- name: WHARF_PUBLIC_URL
  value: {{ required "publicUrl is required with webhooks.enabled (the registry the events name)" $v.publicUrl | quote }}
# Replica i of n (the StatefulSet's pod index) sends the deliveries that hash to i.
- name: POD_INDEX
  valueFrom:
    fieldRef:
      fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
- name: WHARF_WEBHOOK_SHARD
  value: {{ printf "$(POD_INDEX)/%v" $v.webhooks.replicaCount | quote }}
{{- end }}
{{- if has $c (list "gateway" "embedded") }}
{{- if eq $c "gateway" }}
- name: WHARF_SEARCH_URL
  value: {{ printf "http://%s-search:%s" (include "wharf.fullname" $root) (include "wharf.port" "search") | quote }}
{{- end }}
- name: WHARF_AUTH_MODE
  value: {{ $v.auth.mode | quote }}
- name: WHARF_SIGNUP
  value: {{ $v.auth.signup | quote }}
{{- if eq $v.auth.mode "enforced" }}
- name: WHARF_ADMIN_USERNAME
  value: {{ $v.auth.admin.username | quote }}
{{- if not $v.auth.admin.existingSecret }}
{{- $_ := required "auth.admin.password is required with auth.mode=enforced unless auth.admin.existingSecret is set" $v.auth.admin.password }}
{{- end }}
{{ include "wharf.secretEnv" (dict "root" $root "name" "WHARF_ADMIN_PASSWORD" "existingSecret" $v.auth.admin.existingSecret "key" $v.auth.admin.passwordKey) }}
{{- if eq $c "gateway" }}
{{- if not $v.auth.registryTokens.existingSecret }}
{{- $_ := required "auth.registryTokens.key is required with auth.mode=enforced unless auth.registryTokens.existingSecret is set (openssl rand -base64 32)" $v.auth.registryTokens.key }}
{{- end }}
{{ include "wharf.secretEnv" (dict "root" $root "name" "WHARF_REGISTRY_TOKEN_KEY" "existingSecret" $v.auth.registryTokens.existingSecret "key" $v.auth.registryTokens.keyKey) }}
{{- end }}
{{- end }}
{{- with $v.publicUrl }}
- name: WHARF_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with (index $v $c).extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* One Wharf container: the image's node running the service's entry point, probed over HTTP. */}}
{{- define "wharf.container" -}}
{{- $root := .root -}}
{{- $c := .component -}}
- name: {{ $c }}
  image: {{ include "wharf.image" $root | quote }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  command: ["node", "-r", "./scripts/dist-paths.js", {{ printf "dist/services/%s/src/main.js" $c | quote }}]
  env:
    {{- include "wharf.env" . | nindent 4 }}
  ports:
    - name: http
      containerPort: {{ include "wharf.port" $c }}
      protocol: TCP
  startupProbe:
    httpGet: { path: /healthz, port: http }
    periodSeconds: 2
    failureThreshold: 60
  livenessProbe:
    httpGet: { path: /healthz, port: http }
    periodSeconds: 10
    timeoutSeconds: 3
  readinessProbe:
    httpGet: { path: /readyz, port: http }
    periodSeconds: 5
    timeoutSeconds: 3
  resources:
    {{- toYaml (index $root.Values $c).resources | nindent 4 }}
  securityContext:
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities: { drop: [ALL] }
  volumeMounts:
    - { name: tmp, mountPath: /tmp }
    {{- if has $c (list "blob" "embedded" "gateway") }}
    - { name: data, mountPath: /var/lib/wharf }
    {{- end }}
{{- end -}}

{{/* What every Wharf pod shares around its container. */}}
{{- define "wharf.podSpec" -}}
{{- $root := .root -}}
{{- $values := index $root.Values .component -}}
serviceAccountName: {{ include "wharf.serviceAccountName" $root }}
automountServiceAccountToken: false
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  fsGroup: 1000
  seccompProfile: { type: RuntimeDefault }
containers:
  {{- include "wharf.container" . | nindent 2 }}
volumes:
  - name: tmp
    emptyDir: {}
  {{- if or (eq .component "gateway") (and (has .component (list "blob" "embedded")) (not $values.persistence.enabled)) }}
  - name: data
    emptyDir: {}
  {{- end }}
{{- with $values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The components this install runs. */}}
{{- define "wharf.components" -}}
{{- if eq .Values.profile "embedded" -}}
embedded
{{- else -}}
gateway metadata search blob{{ if .Values.webhooks.enabled }} webhooks{{ end }}
{{- end -}}
{{- end -}}

{{/* The component users talk to. */}}
{{- define "wharf.frontComponent" -}}
{{- ternary "embedded" "gateway" (eq .Values.profile "embedded") -}}
{{- end -}}
