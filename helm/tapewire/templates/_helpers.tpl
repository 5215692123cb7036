{{/* Chart name, truncated to the 63 characters Kubernetes allows in names. */}}
{{- define "tapewire.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tapewire.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tapewire.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "tapewire.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "tapewire.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "tapewire.secretName" -}}
{{- printf "%s-secrets" (include "tapewire.fullname" .) -}}
{{- end -}}

{{/* Environment shared by the agents and the init job. */}}
{{- define "tapewire.env" -}}
- name: TAPEWIRE_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ default (include "tapewire.secretName" .) .Values.database.existingSecret }}
      key: database-url
{{- if .Values.kafka.sasl.mechanism }}
- name: TAPEWIRE_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ default (include "tapewire.secretName" .) .Values.kafka.sasl.existingSecret }}
      key: sasl-password
{{- end }}
{{- end -}}
