{{/* Names: <release>-kiam-server, <release>-kiam-agent (or kiam-server when the release is "kiam"). */}}
{{- define "kiam.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kiam.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kiam.server.fullname" -}}
{{- printf "%s-server" (include "kiam.fullname" .) -}}
{{- end -}}

{{- define "kiam.agent.fullname" -}}
{{- printf "%s-agent" (include "kiam.fullname" .) -}}
{{- end -}}

{{- define "kiam.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "kiam.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component; call with (dict "ctx" $ "component" "server"). */}}
{{- define "kiam.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kiam.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "kiam.componentLabels" -}}
{{ include "kiam.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "kiam.server.serviceAccountName" -}}
{{- if .Values.server.serviceAccount.create -}}
{{- default (include "kiam.server.fullname" .) .Values.server.serviceAccount.name -}}
{{- else -}}
{{- required "server.serviceAccount.name is required when server.serviceAccount.create is false" .Values.server.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The headless Service's DNS names: every name the agents may use, all in the server certificate. */}}
{{- define "kiam.server.dnsNames" -}}
{{- $svc := include "kiam.server.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- $names := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns .Values.clusterDomain) "localhost" -}}
{{- concat $names .Values.tls.extraServerDnsNames | uniq | toJson -}}
{{- end -}}

{{/* The probes connect to 127.0.0.1, so the server certificate must name it. */}}
{{- define "kiam.server.ipAddresses" -}}
{{- list "127.0.0.1" | toJson -}}
{{- end -}}

{{- define "kiam.server.address" -}}
{{- printf "dns:///%s.%s.svc.%s:%d" (include "kiam.server.fullname" .) .Release.Namespace .Values.clusterDomain (int .Values.server.port) -}}
{{- end -}}

{{- define "kiam.server.tlsSecret" -}}
{{- if eq .Values.tls.mode "existing" -}}
{{- required "tls.existing.serverSecret is required when tls.mode is existing" .Values.tls.existing.serverSecret -}}
{{- else -}}
{{- printf "%s-tls" (include "kiam.server.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "kiam.agent.tlsSecret" -}}
{{- if eq .Values.tls.mode "existing" -}}
{{- required "tls.existing.agentSecret is required when tls.mode is existing" .Values.tls.existing.agentSecret -}}
{{- else -}}
{{- printf "%s-tls" (include "kiam.agent.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "kiam.ca.secret" -}}
{{- printf "%s-ca" (include "kiam.fullname" .) -}}
{{- end -}}

{{/* Where both daemons find their certificate, key and CA; a directory mount, so a renewed Secret reaches the running daemons. */}}
{{- define "kiam.tlsDir" -}}/etc/kiam/tls{{- end -}}

{{- define "kiam.tlsArgs" -}}
- --cert={{ include "kiam.tlsDir" . }}/tls.crt
- --key={{ include "kiam.tlsDir" . }}/tls.key
- --ca={{ include "kiam.tlsDir" . }}/ca.crt
{{- end -}}

{{- define "kiam.image" -}}
{{- printf "%s:%s" .image.repository (default .ctx.Chart.AppVersion .image.tag) -}}
{{- end -}}

{{/* The jar inside both images (deploy/docker/*.Dockerfile). */}}
{{- define "kiam.server.jar" -}}/opt/kiam/kiam-server.jar{{- end -}}
